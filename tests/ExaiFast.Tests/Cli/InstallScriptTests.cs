using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.Stdio;

namespace ExaiFast.Tests.Cli;

/// <summary>
/// <c>scripts/install.sh</c> into a prefix of the test's own, with the native binary scripts/test.sh published
/// (<c>EXAIFAST_INSTALL_BINARY</c>; that publish is install.sh's own, so its whole path runs once per CI run), then used
/// the way the README's client lines use it. The failure cases need no binary: they must stop before publishing.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // install.sh, /proc, chattr
public sealed class InstallScriptTests : IDisposable
{
    private readonly string _root = HermeticStart.NewWorkingDirectory();

    private string Prefix => _root;

    private string Target => Path.Combine(_root, "bin", "exaifast");

    [Fact]
    public async Task Installed_StdioAutostart_FoundOnThePath_AnswersToolsList_FromADaemonOfTheSameBinary()
    {
        string native = NativeBinaryOrSkip();
        var install = await RunInstallAsync(["--prefix", Prefix], new() { ["EXAIFAST_INSTALL_BINARY"] = native });
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Contains($"installed {Target}", install.Stdout, StringComparison.Ordinal);
        Assert.Contains($"export PATH=\"{Path.Combine(_root, "bin")}:$PATH\"", install.Stdout, StringComparison.Ordinal); // not on PATH yet

        // The README's `claude mcp add exaifast -- exaifast stdio --autostart`: the command by name, on the client's PATH.
        int port = StdioBridgeTests.FreePort();
        string log = Path.Combine(_root, "daemon.log");
        int? daemon = null;
        try
        {
            await using (var client = StdioProcess.StartCommand(new Dictionary<string, string>
            {
                ["PATH"] = Path.Combine(_root, "bin") + ":" + Environment.GetEnvironmentVariable("PATH"),
                ["EXAI_WS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["EXAIFAST_DAEMON_LOG_FILE"] = log,
            }, "exaifast", "stdio", "--autostart"))
            {
                await client.InitializeAsync();
                await client.RequestAsync(2, "tools/list");
                var tools = (JsonArray)(await client.ResponseAsync(2, timeoutMs: 60_000))["result"]!["tools"]!;
                Assert.Contains(tools, t => (string?)t!["name"] == "chat");

                daemon = DaemonOnPort(port);
                Assert.True(daemon is not null, "no daemon serves the port:\n" + client.Stderr);
                // The same native binary, not dotnet: the daemon's executable is the installed file.
                Assert.Equal(Target, new FileInfo($"/proc/{daemon}/exe").LinkTarget);
            }
        }
        finally
        {
            if ((daemon ?? DaemonOnPort(port)) is int pid)
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            }
        }
    }

    [Fact]
    public async Task SecondInstall_WhileADaemonRunsFromIt_ReplacesTheFileByRename_AndTheDaemonRunsOn()
    {
        string native = NativeBinaryOrSkip();
        Assert.Equal(0, (await RunInstallAsync(["--prefix", Prefix], new() { ["EXAIFAST_INSTALL_BINARY"] = native })).ExitCode);
        var again = await RunInstallAsync(["--prefix", Prefix], new() { ["EXAIFAST_INSTALL_BINARY"] = native });
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("already this build", again.Stdout, StringComparison.Ordinal); // idempotent

        var start = HermeticStart.Create(Target);
        foreach (string a in (string[])["serve", "--port", "0", "--env-file", HermeticStart.EmptyEnvFile])
        {
            start.ArgumentList.Add(a);
        }

        start.RedirectStandardError = true;
        using var running = Process.Start(start)!;
        try
        {
            long before = Inode(Target);
            // A different build (one byte more, still a valid ELF): the file is replaced, not written into. Writing into
            // a running executable fails (ETXTBSY), and a client starting it mid-copy would run half a file.
            string newer = Path.Combine(_root, "newer");
            File.Copy(native, newer);
            await File.AppendAllTextAsync(newer, "\n", TestContext.Current.CancellationToken);
            var update = await RunInstallAsync(["--prefix", Prefix], new() { ["EXAIFAST_INSTALL_BINARY"] = newer });
            Assert.True(update.ExitCode == 0, update.ToString());
            Assert.NotEqual(before, Inode(Target));
            Assert.Equal(await File.ReadAllBytesAsync(newer, TestContext.Current.CancellationToken), await File.ReadAllBytesAsync(Target, TestContext.Current.CancellationToken));
            Assert.Equal(["exaifast"], Directory.GetFiles(Path.Combine(_root, "bin")).Select(Path.GetFileName)); // no staged leftovers
            Assert.False(running.HasExited, "the running daemon died when its binary was replaced");
        }
        finally
        {
            running.Kill();
            HermeticStart.DeleteWorkingDirectory(start);
        }
    }

    [Fact]
    public async Task Uninstall_RemovesTheBinary_AndAgainSaysThereIsNothingToRemove()
    {
        Directory.CreateDirectory(Path.Combine(_root, "bin"));
        await File.WriteAllTextAsync(Target, "#!/bin/sh\n", TestContext.Current.CancellationToken);
        var first = await RunInstallAsync(["--uninstall", "--prefix", Prefix]);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.False(File.Exists(Target));
        var second = await RunInstallAsync(["--uninstall", "--prefix", Prefix]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("nothing to remove", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingPrefix_FailsNamingIt_AndCreatesNothing()
    {
        string missing = Path.Combine(_root, "no-such-prefix");
        var run = await RunInstallAsync(["--prefix", missing]);
        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains($"the prefix {missing} does not exist", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task ReadOnlyPrefix_FailsBeforePublishing_AndWritesNothing()
    {
        string bin = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        using var readOnly = ReadOnlyDirectory.Make(bin);
        var run = await RunInstallAsync(["--prefix", Prefix]);
        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains($"cannot write to {bin}", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("publishing", run.Stderr, StringComparison.Ordinal);
        readOnly.Dispose();
        Assert.Empty(Directory.GetFileSystemEntries(bin));
    }

    [Theory]
    [InlineData(false, ".NET 10 SDK is needed")]
    [InlineData(true, "Native AOT needs clang")]
    public async Task WithoutTheSdkOrALinker_FailsSayingWhich_AndInstallsNothing(bool withDotnet, string message)
    {
        // A PATH of the plain tools the script uses, and dotnet or not, but never clang or gcc.
        string tools = Directory.CreateDirectory(Path.Combine(_root, "tools")).FullName;
        foreach (string tool in (string[])["uname", "mkdir", "mktemp", "rm", "cat", "cmp", "cp", "chmod", "mv", "sed", "grep", "cut", "tr", "pwd", .. (withDotnet ? (string[])["dotnet"] : [])])
        {
            string? found = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            Assert.True(found is not null, $"{tool} is not in /usr/bin or /bin");
            File.CreateSymbolicLink(Path.Combine(tools, tool), found);
        }

        var run = await RunInstallAsync(["--prefix", Prefix], new() { ["PATH"] = tools });
        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_root, "bin")));
    }

    public void Dispose() => HermeticStart.DeleteWorkingDirectory(_root);

    private static string NativeBinaryOrSkip()
    {
        string? native = ExaiFastExecutable.NativeBinary;
        Assert.SkipWhen(native is null, $"needs the native binary: scripts/test.sh publishes it and sets {ExaiFastExecutable.Variable}");
        return native!;
    }

    private static async Task<ScriptRun> RunInstallAsync(string[] args, Dictionary<string, string>? environment = null)
    {
        var start = HermeticStart.Create("/bin/bash", environment);
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "scripts", "install.sh"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        HermeticStart.DeleteWorkingDirectory(start);
        return new ScriptRun(process.ExitCode, await stdout, await stderr);
    }

    private static long Inode(string path)
    {
        var start = new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return long.Parse(text.Trim(), CultureInfo.InvariantCulture);
    }

    private static int? DaemonOnPort(int port)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(dir), out int pid)
                    && File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ') is { } cmdline
                    && cmdline.Contains(" serve ", StringComparison.Ordinal) && cmdline.Contains($"--port {port}", StringComparison.Ordinal))
                {
                    return pid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    private sealed record ScriptRun(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    /// <summary>
    /// A directory nobody may write to: mode 555, and for root (whom modes do not stop) the immutable attribute too.
    /// </summary>
    private sealed class ReadOnlyDirectory : IDisposable
    {
        private readonly string _path;
        private bool _done;

        private ReadOnlyDirectory(string path) => _path = path;

        public static ReadOnlyDirectory Make(string path)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            if (Environment.UserName == "root")
            {
                Assert.Equal(0, Run("chattr", "+i", path));
            }

            return new ReadOnlyDirectory(path);
        }

        public void Dispose()
        {
            if (_done)
            {
                return;
            }

            _done = true;
            if (Environment.UserName == "root")
            {
                Run("chattr", "-i", _path);
            }

            File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        private static int Run(string file, params string[] args)
        {
            using var process = Process.Start(new ProcessStartInfo(file, args))!;
            process.WaitForExit();
            return process.ExitCode;
        }
    }
}
