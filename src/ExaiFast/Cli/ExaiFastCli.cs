using System.Collections;
using System.CommandLine;
using System.Net.Sockets;
using ExaiFast.Configuration;
using ExaiFast.Hosting;
using ExaiFast.Server;
using ExaiFast.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ExaiFast.Cli;

/// <summary>The command line: <c>exaifast serve</c>, <c>stdio</c>, <c>call</c>, <c>tools</c>, <c>check-config</c>.</summary>
/// <remarks>The only code allowed to write to the console. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration
/// (an address that cannot be listened on included).</remarks>
internal static class ExaiFastCli
{
    /// <summary>Exit code for a configuration or usage error, or a port that cannot be listened on (another daemon serves it).</summary>
    public const int ExitConfig = 2;

    /// <summary>Exit code for a failure at run time.</summary>
    public const int ExitFailure = 1;

    /// <summary>The process entry point: the real environment, stdout and stderr.</summary>
    public static int RunProcess(string[] args) => Run(args, ProcessEnvironment(), Console.Out, Console.Error);

    /// <summary>Runs the command line against the given environment and writers (tests pass their own).</summary>
    public static int Run(string[] args, IReadOnlyDictionary<string, string> environment, TextWriter stdout, TextWriter stderr)
    {
        var root = BuildRootCommand(environment, stdout, stderr);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,

            // The host handles SIGTERM/Ctrl-C and drains; System.CommandLine's own handler would kill the process after 2 s.
            ProcessTerminationTimeout = null,
        };
        return parse.Invoke(invocation);
    }

    /// <summary>The process environment as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            env[(string)e.Key] = (string?)e.Value ?? string.Empty;
        }

        return env;
    }

    private static RootCommand BuildRootCommand(IReadOnlyDictionary<string, string> environment, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("ExaiFast: a fast, trustworthy MCP tool daemon. It speaks exai-ws (the EX-AI daemon protocol) and MCP over WebSocket; `exaifast stdio` is MCP over stdin/stdout for Claude Code, Claude Desktop, VS Code and Cursor.");
        var serve = new Command("serve", "Run the daemon: exai-ws over WebSocket (/ or /ws), MCP over WebSocket (same paths, subprotocol mcp), an echo (/echo), and HTTP /health, /ready, /metrics on one port.");
        var envFile = new Option<string?>("--env-file") { Description = "Read settings from this .env file (default: ./.env when present)." };
        serve.Add(envFile);

        var flags = SettingOptions.AddTo(serve);
        serve.SetAction(async (parse, cancellationToken) =>
        {
            ExaiFastSettings settings;
            try
            {
                settings = SettingsLoader.Load(environment, flags(parse), parse.GetValue(envFile));
            }
            catch (ConfigurationException ex)
            {
                return Refuse(stderr, ex.Problems);
            }

            return await ServeAsync(settings, environment, stderr).ConfigureAwait(false);
        });

        root.Add(serve);
        VersionText.Install(root, stdout);
        root.Add(StdioCommand.Create(environment, stderr));
        root.Add(CheckConfigCommand.Create(environment, stdout, stderr));
        foreach (var command in ClientCommands.Create(environment, stdout, stderr))
        {
            root.Add(command);
        }

        return root;
    }

    /// <summary>Writes one line per configuration problem, the same for every command that loads settings, and returns <see cref="ExitConfig"/>.</summary>
    internal static int Refuse(TextWriter stderr, IReadOnlyList<string> problems)
    {
        foreach (string problem in problems)
        {
            stderr.WriteLine($"exaifast: {problem}");
        }

        return ExitConfig;
    }

    private static async Task<int> ServeAsync(ExaiFastSettings settings, IReadOnlyDictionary<string, string> environment, TextWriter stderr)
    {
        // Read once by System.Net.Sockets when the first socket operation starts its engine, which has not happened
        // yet in this process: nothing before this line touches a socket. An explicit value in the environment wins.
        const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, settings.SocketInlineCompletions ? "1" : "0");
        }

        if (!TryOpenLog(settings, stderr, out var logStream, out bool owns))
        {
            return ExitConfig;
        }

        if (settings.Health.File is { } healthFile && HealthFileService.Prepare(healthFile) is { } reason)
        {
            await stderr.WriteLineAsync($"exaifast: cannot write the health file '{healthFile}': {reason}").ConfigureAwait(false);
            return ExitConfig;
        }

        // An OS-assigned port is nobody's to find: only a fixed port gets a PID file.
        string? pidFile = settings.Server.Port == 0 ? null : RuntimeDirectory.PidFile(environment, settings.Server.Port);
        var host = DaemonHost.Build(settings, logStream, owns, pidFile);
        await using var _ = (IAsyncDisposable)host;
        try
        {
            // Bound before the host starts: a taken port is one line, not the host's "failed to start" and a stack trace.
            host.Services.GetRequiredService<ExaiFastServer>().Bind();
        }
        catch (SocketException ex)
        {
            await stderr.WriteLineAsync(CannotListen(settings, pidFile, ex)).ConfigureAwait(false);
            return ExitConfig;
        }

        await host.StartAsync().ConfigureAwait(false);

        await host.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    // One line: a second daemon on a served port names the daemon that serves it (its PID file), anything else holding
    // the port or refusing the address gets the OS's reason.
    private static string CannotListen(ExaiFastSettings settings, string? pidFile, SocketException ex)
    {
        int port = settings.Server.Port;
        if (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && pidFile is not null && PidFile.LiveDaemon(pidFile) is { } pid)
        {
            return $"exaifast: port {port} is already served by an exaifast daemon (pid {pid}); stop it first or choose another port (--port, EXAI_WS_PORT)";
        }

        string hint = ex.SocketErrorCode == SocketError.AddressAlreadyInUse ? "; another program holds the port: choose another one (--port, EXAI_WS_PORT)" : "";
        return $"exaifast: cannot listen on {settings.Server.Host}:{port}: {ex.Message}{hint}";
    }

    /// <summary>Where logs go: the log file when one is set (appended to), else stderr. Never stdout.</summary>
    internal static bool TryOpenLog(ExaiFastSettings settings, TextWriter stderr, out Stream logStream, out bool owns)
    {
        if (settings.Log.File is { } file)
        {
            try
            {
                logStream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.Read);
                owns = true;
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"exaifast: cannot open log file '{file}': {ex.Message}");
                logStream = Stream.Null;
                owns = false;
                return false;
            }
        }

        logStream = Console.OpenStandardError();
        owns = false;
        return true;
    }
}
