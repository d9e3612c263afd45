using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ExaiFast.Tests.Cli;

/// <summary>
/// One daemon per port: a second <c>serve</c> on a served port exits 2 naming the daemon that serves it (its PID file),
/// and a PID file whose process is gone, or is not exaifast, neither blocks a daemon nor is named.
/// </summary>
public sealed class OneDaemonPerPortTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly string _runtime = Directory.CreateTempSubdirectory("exaifast-run-").FullName;

    public void Dispose() => Directory.Delete(_runtime, recursive: true);

    [Fact]
    public async Task SecondServe_OnAServedPort_Exits2_NamingThePortAndThePid_AndTheFirstServesAlone()
    {
        int port = Stdio.StdioBridgeTests.FreePort();
        await using var first = ExaiFastProcess.Start(Environment(), "serve", "--port", Text(port));
        await first.WaitForReadyAsync();
        Assert.Equal(Text(first.Pid), File.ReadAllText(PidFile(port)).Trim());

        await using var second = ExaiFastProcess.Start(Environment(), "serve", "--port", Text(port));

        Assert.Equal(2, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal($"exaifast: port {port} is already served by an exaifast daemon (pid {first.Pid}); stop it first or choose another port (--port, EXAI_WS_PORT)",
            second.Stderr.Trim());
        Assert.Equal(string.Empty, second.Stdout);
        Assert.Equal(1, PortProcesses.ListeningSockets(port));
        Assert.Equal(Text(first.Pid), File.ReadAllText(PidFile(port)).Trim()); // the loser left the winner's file alone

        using var http = new HttpClient();
        Assert.Contains("\"status\":\"ok\"", await http.GetStringAsync($"http://127.0.0.1:{port}/health", TestContext.Current.CancellationToken), StringComparison.Ordinal);
        first.Signal(SigTerm);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(PidFile(port)), "a clean shutdown left its PID file");
    }

    [Theory]
    [InlineData("dead")]
    [InlineData("not exaifast")]
    [InlineData("garbage")]
    public async Task StalePidFile_DoesNotBlock_AndIsReplaced(string stale)
    {
        int port = Stdio.StdioBridgeTests.FreePort();
        using var other = StalePid(stale, out string content);
        File.WriteAllText(PidFile(port), content);

        await using var daemon = ExaiFastProcess.Start(Environment(), "serve", "--port", Text(port));

        Assert.Equal(port, await daemon.WaitForReadyAsync());
        Assert.Equal(Text(daemon.Pid), File.ReadAllText(PidFile(port)).Trim());
        daemon.Signal(SigTerm);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("dead")]
    [InlineData("not exaifast")]
    public async Task PortHeldByAnotherProgram_WithAStalePidFile_SaysCannotListen_NotThePid(string stale)
    {
        using var blocker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blocker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blocker.Listen();
        int port = ((IPEndPoint)blocker.LocalEndPoint!).Port;
        using var other = StalePid(stale, out string content);
        File.WriteAllText(PidFile(port), content);

        await using var daemon = ExaiFastProcess.Start(Environment(), "serve", "--port", Text(port));

        Assert.Equal(2, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal($"exaifast: cannot listen on 127.0.0.1:{port}: Address already in use; another program holds the port: choose another one (--port, EXAI_WS_PORT)",
            daemon.Stderr.Trim());
        Assert.Equal(content, File.ReadAllText(PidFile(port))); // not the failed daemon's to touch
    }

    private Dictionary<string, string> Environment() => new() { ["XDG_RUNTIME_DIR"] = _runtime };

    private string PidFile(int port) => Path.Combine(_runtime, $"exaifast-{Text(port)}.pid");

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    // A PID file's content naming: a process that has exited, a live process that is not exaifast (kept alive until
    // the returned handle is disposed), or no number at all.
    private static ProcessHandle StalePid(string kind, out string content)
    {
        switch (kind)
        {
            case "dead":
                using (var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
                {
                    gone.WaitForExit();
                    content = Text(gone.Id) + "\n";
                }

                return new ProcessHandle(null);
            case "not exaifast":
                var sleeper = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
                content = Text(sleeper.Id) + "\n";
                return new ProcessHandle(sleeper);
            default:
                content = "not a pid\n";
                return new ProcessHandle(null);
        }
    }

    private sealed class ProcessHandle(Process? process) : IDisposable
    {
        public void Dispose()
        {
            if (process is not null)
            {
                process.Kill();
                process.WaitForExit();
                process.Dispose();
            }
        }
    }
}
