using System.Diagnostics;
using System.Globalization;
using ExaiFast.Configuration;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Hosting;

/// <summary>
/// <c>stdio --autostart</c>: starts <c>exaifast serve</c> detached from the bridge — its own session (setsid), stdin
/// from /dev/null, stdout to /dev/null, logs to a file — so that it outlives the MCP client that started the bridge
/// and never writes into the bridge's stdout.
/// </summary>
internal static partial class DaemonLauncher
{
    public static Func<CancellationToken, Task> Create(ExaiFastSettings settings, StdioOptions options, ILogger logger) =>
        _ => Task.Run(() => Start(settings, options, logger));

    private static void Start(ExaiFastSettings settings, StdioOptions options, ILogger logger)
    {
        string log = Path.GetFullPath(options.DaemonLogFile);
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);

        // The executable: the apphost, or `dotnet exaifast.dll` (then ProcessPath is dotnet itself).
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable this is");
        var command = new List<string> { exe };
        if (Path.GetFileNameWithoutExtension(exe).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            command.Add(typeof(DaemonLauncher).Assembly.Location);
        }

        command.AddRange(["serve", "--host", settings.Server.Host, "--port", settings.Server.Port.ToString(CultureInfo.InvariantCulture)]);
        if (options.EnvFile is { } envFile)
        {
            command.AddRange(["--env-file", Path.GetFullPath(envFile)]);
        }

        // sh redirects before exec: the daemon starts with /dev/null and its log file, nothing of ours. setsid puts it in
        // a session of its own, so that the client killing the bridge's process group does not take the daemon along.
        string? setsid = FindOnPath("setsid");
        var start = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true, // pipes, closed at once below: the child never holds the MCP client's stdio
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Environment.CurrentDirectory,
        };
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

        start.Environment["EXAIFAST_LOG_FILE"] = log;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("the daemon did not start");
        process.StandardInput.Close();
        process.StandardOutput.Close();
        process.StandardError.Close();
        Log.Started(logger, process.Id, log);
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
