using System.Diagnostics;
using System.Globalization;
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
    public static Func<CancellationToken, Task> Create(ExaiFastSettings settings, StdioOptions options, ILogger logger) =>
        _ => Task.Run(() => Start(settings, options, logger));

    private static void Start(ExaiFastSettings settings, StdioOptions options, ILogger logger)
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

        using var process = Process.Start(start) ?? throw new InvalidOperationException("the daemon did not start");
        process.StandardInput.Close();
        process.StandardOutput.Close();
        process.StandardError.Close();
        Log.Started(logger, process.Id, log);
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
    }
}
