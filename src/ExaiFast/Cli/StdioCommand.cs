using System.CommandLine;
using System.Globalization;
using ExaiFast.Configuration;
using ExaiFast.Hosting;

namespace ExaiFast.Cli;

/// <summary><c>exaifast stdio</c>: MCP over stdin/stdout, bridged to a daemon over exai-ws or served in process.</summary>
internal static class StdioCommand
{
    private const string Description = """
        MCP over stdin/stdout (newline-delimited JSON-RPC) for Claude Code, Claude Desktop, VS Code and Cursor.
        Forwards tools/list and tools/call to the daemon ('exaifast serve') over exai-ws: many calls in parallel on one
        connection, progress for a progressToken, cancellation, reconnects with the same session so that results are
        not lost. Finds the daemon through the same settings as 'serve' (EXAI_WS_HOST, EXAI_WS_PORT, EXAI_WS_TOKEN,
        .env, flags). --autostart starts the daemon when none answers; --in-process serves the tools with no daemon.
        Only JSON-RPC is written to stdout; logs go to stderr or EXAIFAST_LOG_FILE.
        Claude Code:  claude mcp add exaifast -- exaifast stdio --autostart
        .mcp.json:    {"mcpServers":{"exaifast":{"command":"exaifast","args":["stdio","--autostart"],"env":{"EXAI_WS_TOKEN":"..."}}}}
        """;

    public static Command Create(IReadOnlyDictionary<string, string> environment, TextWriter stderr)
    {
        var stdio = new Command("stdio", Description);
        var envFile = new Option<string?>("--env-file") { Description = "Read settings from this .env file (default: ./.env when present)." };
        var autostart = new Option<bool>("--autostart") { Description = "Start 'exaifast serve' (detached, logging to a file) when no daemon answers at the configured address." };
        var inProcess = new Option<bool>("--in-process") { Description = "Serve the tools in this process: no daemon, no socket." };
        var url = new Option<string?>("--url") { Description = "The daemon's exai-ws URL (default: ws://EXAI_WS_HOST:EXAI_WS_PORT/).", HelpName = "ws-url" };
        var connectWait = new Option<string?>("--connect-timeout")
        {
            Description = "Seconds a call or tools/list waits for the daemon before it fails [default: 30; 60 with --autostart].",
            HelpName = "seconds",
        };
        var daemonLog = new Option<string?>("--daemon-log-file")
        {
            Description = "Where an autostarted daemon logs (env EXAIFAST_DAEMON_LOG_FILE or EXAI_WS_LOG_FILE) [default: ~/.cache/exaifast/daemon.log].",
            HelpName = "path",
        };
        stdio.Add(envFile);
        stdio.Add(autostart);
        stdio.Add(inProcess);
        stdio.Add(url);
        stdio.Add(connectWait);
        stdio.Add(daemonLog);
        var flags = SettingOptions.AddTo(stdio);
        stdio.SetAction(async (parse, cancellationToken) =>
        {
            ExaiFastSettings settings;
            try
            {
                settings = SettingsLoader.Load(environment, flags(parse), parse.GetValue(envFile));
            }
            catch (ConfigurationException ex)
            {
                return ExaiFastCli.Refuse(stderr, ex.Problems);
            }

            var options = new StdioOptions
            {
                InProcess = parse.GetValue(inProcess),
                Autostart = parse.GetValue(autostart),
                EnvFile = parse.GetValue(envFile),
                DaemonLogFile = parse.GetValue(daemonLog)
                    ?? (environment.GetValueOrDefault("EXAIFAST_DAEMON_LOG_FILE") is { Length: > 0 } d ? d : null)
                    ?? (environment.GetValueOrDefault("EXAI_WS_LOG_FILE") is { Length: > 0 } w ? w : null)
                    ?? DefaultDaemonLog(environment),
                StartLockFile = RuntimeDirectory.StartLock(environment, settings.Server.Port),
            };

            string? waitText = parse.GetValue(connectWait);
            if (waitText is not null)
            {
                if (!double.TryParse(waitText, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds is <= 0 or > 86_400 || double.IsNaN(seconds))
                {
                    await stderr.WriteLineAsync($"exaifast: invalid --connect-timeout: '{waitText}' is not a number of seconds from 0 to 86400").ConfigureAwait(false);
                    return ExaiFastCli.ExitConfig;
                }

                options = options with { ConnectWait = TimeSpan.FromSeconds(seconds) };
            }
            else if (options.Autostart)
            {
                options = options with { ConnectWait = TimeSpan.FromSeconds(60) }; // a cold start builds the JIT's caches
            }

            if (!options.InProcess)
            {
                string address = parse.GetValue(url) ?? DaemonUrl(settings);
                if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
                {
                    await stderr.WriteLineAsync($"exaifast: --url '{address}' is not a ws:// or wss:// URL").ConfigureAwait(false);
                    return ExaiFastCli.ExitConfig;
                }

                if (uri.Port == 0)
                {
                    await stderr.WriteLineAsync("exaifast: the bridge needs the daemon's port: EXAI_WS_PORT is 0 (set it, or use --in-process)").ConfigureAwait(false);
                    return ExaiFastCli.ExitConfig;
                }

                options = options with { DaemonUri = uri };
            }

            if (!ExaiFastCli.TryOpenLog(settings, stderr, out var logStream, out bool owns))
            {
                return ExaiFastCli.ExitConfig;
            }

            return await StdioHost.RunAsync(settings, options, logStream, owns).ConfigureAwait(false);
        });
        return stdio;
    }

    /// <summary>The daemon's exai-ws URL from its listen address; a wildcard address is reached on loopback.</summary>
    internal static string DaemonUrl(ExaiFastSettings settings)
    {
        string host = settings.Server.Host.Trim() is "0.0.0.0" or "::" or "[::]" or "*" or "" ? "127.0.0.1" : settings.Server.Host.Trim().Trim('[', ']');
        return $"ws://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{settings.Server.Port}/";
    }

    private static string DefaultDaemonLog(IReadOnlyDictionary<string, string> environment)
    {
        string? cache = environment.GetValueOrDefault("XDG_CACHE_HOME") is { Length: > 0 } x ? x
            : environment.GetValueOrDefault("HOME") is { Length: > 0 } home ? Path.Combine(home, ".cache")
            : null;
        return cache is null ? Path.Combine(Path.GetTempPath(), "exaifast-daemon.log") : Path.Combine(cache, "exaifast", "daemon.log");
    }
}
