using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ExaiFast.Configuration;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Hosting;

/// <summary>
/// <c>stdio --autostart</c>: starts <c>exaifast serve</c> with the same executable as this bridge (the installed native
/// binary, or <c>dotnet exaifast.dll</c> in development), detached from the bridge — stdin and stdout on nothing of the
/// MCP client's, logs to a file, and on Linux a session of its own (setsid) — so that it outlives the client that
/// started the bridge and never writes into the bridge's stdout.
/// </summary>
internal static partial class DaemonLauncher
{
    // How long the bridge that starts the daemon waits for it to listen (a cold JIT start on a busy machine takes seconds),
    // and how long the others wait for that bridge (a little longer: they must not give up first).
    private static readonly TimeSpan ListenWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LockWait = ListenWait + TimeSpan.FromSeconds(15);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public static Func<CancellationToken, Task> Create(ExaiFastSettings settings, StdioOptions options, ILogger logger) =>
        stop => StartAsync(settings, options, logger, stop);

    /// <summary>
    /// Starts the daemon unless one listens by the time this bridge holds the start lock. Bridges started together (an
    /// editor opening ten of them) all find nothing listening: the first to take the lock starts the daemon and keeps
    /// the lock until it listens; each of the others then takes it in turn, finds the daemon listening, and starts none.
    /// The lock is an flock (FileShare.None) the kernel drops with its holder, so a bridge killed mid-start blocks no one.
    /// </summary>
    private static async Task StartAsync(ExaiFastSettings settings, StdioOptions options, ILogger logger, CancellationToken stop)
    {
        using var held = await TakeLockAsync(options.StartLockFile, stop).ConfigureAwait(false);
        if (await AcceptsAsync(options.DaemonUri, stop).ConfigureAwait(false))
        {
            Log.AlreadyListening(logger, options.DaemonUri);
            return;
        }

        using var process = Launch(settings, options, logger);
        await WaitUntilListeningAsync(options, process, stop).ConfigureAwait(false);
    }

    private static Process Launch(ExaiFastSettings settings, StdioOptions options, ILogger logger)
    {
        string log = Path.GetFullPath(options.DaemonLogFile);
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);

        var command = ServeCommand(settings, options);
        var start = OperatingSystem.IsWindows() ? DirectStart(command) : ShellStart(command);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true; // pipes, closed at once below: the child never holds the MCP client's stdio
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Environment.CurrentDirectory;
        start.Environment["EXAIFAST_LOG_FILE"] = log;

        var process = Process.Start(start) ?? throw new InvalidOperationException("the daemon did not start");
        process.StandardInput.Close();
        process.StandardOutput.Close();
        process.StandardError.Close();
        Log.Started(logger, process.Id, log);
        return process;
    }

    // Polls until the port accepts. A daemon that exits first failed (its log says why), unless another one listens
    // by then (a 'serve' started by hand in between: this one found the port taken).
    private static async Task WaitUntilListeningAsync(StdioOptions options, Process process, CancellationToken stop)
    {
        long started = Stopwatch.GetTimestamp();
        while (!await AcceptsAsync(options.DaemonUri, stop).ConfigureAwait(false))
        {
            if (process.HasExited && process.ExitCode != 0)
            {
                if (await AcceptsAsync(options.DaemonUri, stop).ConfigureAwait(false))
                {
                    return;
                }

                throw new InvalidOperationException($"the daemon exited with code {process.ExitCode} before listening; its log: {Path.GetFullPath(options.DaemonLogFile)}");
            }

            if (Stopwatch.GetElapsedTime(started) >= ListenWait)
            {
                throw new InvalidOperationException(
                    $"the daemon (pid {process.Id}) did not listen at {options.DaemonUri} within {ListenWait.TotalSeconds:0} s; its log: {Path.GetFullPath(options.DaemonLogFile)}");
            }

            await Task.Delay(PollInterval, stop).ConfigureAwait(false);
        }
    }

    /// <summary>Whether something accepts TCP connections at the daemon's address.</summary>
    internal static async Task<bool> AcceptsAsync(Uri daemon, CancellationToken stop)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(daemon.DnsSafeHost, daemon.Port), timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !stop.IsCancellationRequested))
        {
            return false;
        }
    }

    // Another bridge holding the lock is starting the daemon: wait for it (it lets go once the daemon listens, or gives
    // up after ListenWait). The file stays: removing a lock file races with the next bridge opening it.
    private static async Task<FileStream> TakeLockAsync(string path, CancellationToken stop)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Stopwatch.GetElapsedTime(started) < LockWait)
            {
                await Task.Delay(PollInterval, stop).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new InvalidOperationException($"another bridge has held the daemon's start lock {path} for {LockWait.TotalSeconds:0} s: {ex.Message}", ex);
            }
        }
    }

    /// <summary>The daemon's command line: this executable, then <c>serve</c> with the bridge's address and .env.</summary>
    internal static List<string> ServeCommand(ExaiFastSettings settings, StdioOptions options)
    {
        var command = SelfCommand(Environment.ProcessPath, AppContext.BaseDirectory);
        command.AddRange(["serve", "--host", settings.Server.Host, "--port", settings.Server.Port.ToString(CultureInfo.InvariantCulture)]);
        if (options.EnvFile is { } envFile)
        {
            command.AddRange(["--env-file", Path.GetFullPath(envFile)]);
        }

        return command;
    }

    /// <summary>
    /// How to run this program again: its own executable (the native binary or the apphost), or — when the host is
    /// <c>dotnet</c> itself (<c>dotnet exaifast.dll</c>) — dotnet with the assembly beside this code. Assembly.Location
    /// cannot tell: it is empty in a native or single-file binary.
    /// </summary>
    internal static List<string> SelfCommand(string? processPath, string baseDirectory)
    {
        string exe = processPath ?? throw new InvalidOperationException("cannot tell which executable this is");
        return Path.GetFileNameWithoutExtension(exe).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? [exe, Path.Combine(baseDirectory, "exaifast.dll")]
            : [exe];
    }

    // Windows has no sh and no sessions to leave: a child started without a console window and with its std handles on
    // pipes closed at once already outlives the bridge (Node's libuv lets children of its children break away from its job).
    private static ProcessStartInfo DirectStart(List<string> command)
    {
        var start = new ProcessStartInfo(command[0]) { CreateNoWindow = true };
        foreach (string part in command.Skip(1))
        {
            start.ArgumentList.Add(part);
        }

        return start;
    }

    // sh redirects before exec: the daemon starts with /dev/null and its log file, nothing of ours, and early errors (a
    // taken port) land in the log. setsid (util-linux, so Linux) puts it in a session of its own, so that the client
    // killing the bridge's process group does not take the daemon along; macOS has no setsid(1), and there the daemon
    // is still an orphan that outlives the bridge, only in its process group.
    private static ProcessStartInfo ShellStart(List<string> command)
    {
        string? setsid = OperatingSystem.IsLinux() ? FindOnPath("setsid") : null;
        var start = new ProcessStartInfo(setsid ?? "/bin/sh");
        if (setsid is not null)
        {
            start.ArgumentList.Add("/bin/sh");
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$@\" </dev/null >/dev/null 2>>\"$EXAIFAST_LOG_FILE\"");
        start.ArgumentList.Add("exaifast-serve"); // $0
        foreach (string part in command)
        {
            start.ArgumentList.Add(part);
        }

        return start;
    }

    private static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(460, LogLevel.Information, "Started a daemon (pid {Pid}), logging to {LogFile}")]
        public static partial void Started(ILogger logger, int pid, string logFile);

        [LoggerMessage(461, LogLevel.Information, "A daemon listens at {Uri} by now (another bridge started it): starting none")]
        public static partial void AlreadyListening(ILogger logger, Uri uri);
    }
}
