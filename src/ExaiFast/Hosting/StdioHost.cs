using System.Runtime.InteropServices;
using ExaiFast.Configuration;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Logging;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Stdio;
using ExaiFast.Tools.Threads;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Hosting;

/// <summary>
/// The composition root of <c>stdio</c>: one MCP session on stdin/stdout, served by a daemon over exai-ws
/// (<see cref="ExaiWsBackend"/>) or by this process's own dispatcher (<see cref="DispatcherBackend"/>).
/// </summary>
/// <remarks>
/// Stdout belongs to <see cref="StdioReply"/> alone: logs go to stderr or the log file, no host status messages are
/// printed (no generic host runs here), and an autostarted daemon never inherits stdout.
/// </remarks>
internal static partial class StdioHost
{
    /// <summary>Serves stdin until it ends or SIGTERM/SIGINT arrives; returns the exit code (0).</summary>
    public static async Task<int> RunAsync(ExaiFastSettings settings, StdioOptions options, Stream logStream, bool ownsLogStream)
    {
        // Stdout is the protocol's (StdioReply holds its own stream): anything that still writes to Console.Out by
        // mistake lands on stderr instead of corrupting a JSON-RPC line.
        Console.SetOut(Console.Error);

        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddExaiFastLogging(settings.Log, logStream, ownsLogStream));
        if (options.InProcess)
        {
            services.AddToolServices(settings);
        }

        await using var provider = services.BuildServiceProvider();
        var loggers = provider.GetRequiredService<ILoggerFactory>();
        var logger = loggers.CreateLogger("ExaiFast.Stdio");

        IMcpBackend backend;
        ExaiWsBackend? bridge = null;
        if (options.InProcess)
        {
            // The process's own threads, all of them: its only caller is the client that started it.
            var dispatcher = provider.GetRequiredService<Dispatcher>();
            provider.GetRequiredService<DaemonStatus>().Count(InProcessClient.Instance);
            backend = new DispatcherBackend(dispatcher, provider.GetRequiredService<IToolCatalog>(),
                new ThreadArchive(provider.GetRequiredService<IThreadStore>()), static () => true)
            {
                Tasks = new McpTasks(dispatcher, provider.GetRequiredService<TimeProvider>()),
            };
        }
        else
        {
            bridge = new ExaiWsBackend(new ExaiWsBackendOptions
            {
                DaemonUri = options.DaemonUri,
                Token = settings.ExaiWs.Token,
                ConnectWait = options.ConnectWait,
                CallTimeout = settings.Dispatcher.CallTimeout,
                CallerQueueDepth = settings.Dispatcher.CallerQueueDepth,
                Autostart = options.Autostart ? DaemonLauncher.Create(settings, options, loggers.CreateLogger("ExaiFast.Autostart")) : null,
            }, loggers.CreateLogger("ExaiFast.Bridge"));
            backend = bridge;
        }

        var protocol = new McpProtocol(backend, loggers.CreateLogger("ExaiFast.Mcp")) { MaxOutputTokens = settings.Mcp.MaxOutputTokens, PromptSizeLimit = settings.Mcp.PromptSizeLimit };
        var session = new McpSession("stdio:" + Guid.NewGuid().ToString("N"), "stdio");
        var reply = new StdioReply(Console.OpenStandardOutput());
        // Big lines are under an inbound budget as the daemon's big messages are. In process it is this
        // process's own, and a call keeps its line's budget until it ends; the bridge gives a line's back once its frame
        // is written onward (the daemon budgets that frame), so there it bounds only the line being read and parsed.
        var metrics = options.InProcess ? provider.GetRequiredService<ServerMetrics>() : new ServerMetrics();
        // In process, the dispatcher's memory monitor sees what the budget holds; the bridge runs no dispatcher.
        var inbound = options.InProcess ? provider.GetRequiredService<InboundActivity>() : null;
        var budget = new InboundBudget(settings.Server.EffectiveInboundBudgetBytes, metrics, inbound);
        var transport = new StdioTransport(protocol, session, reply, settings.Server.MaxMessageBytes, budget, settings.Server.InboundBudgetTimeout);

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        var reading = transport.RunAsync(Console.OpenStandardInput(), stop.Token);

        // A read of stdin cannot be interrupted (the console stream reads on a thread of its own): on a signal the
        // bridge stops waiting for it and ends; the blocked read dies with the process.
        await ((Task)Task.WhenAny(reading, Task.Delay(Timeout.Infinite, stop.Token))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (reading.IsFaulted)
        {
            Log.ReadFailed(logger, reading.Exception!.GetBaseException());
        }

        Log.Ending(logger, reading.IsCompleted ? "end of stdin" : "signal", session.PendingCount);
        protocol.EndSession(session); // its calls are cancelled at the daemon (or in this dispatcher): nobody can collect them
        if (bridge is not null)
        {
            await bridge.DisposeAsync().ConfigureAwait(false);
        }

        await reply.DisposeAsync().ConfigureAwait(false); // everything queued reaches stdout, flushed
        return 0;

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // end cleanly below instead of being killed
            stop.Cancel();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(450, LogLevel.Information, "stdio bridge ending ({Reason}); {Pending} calls in flight are cancelled")]
        public static partial void Ending(ILogger logger, string reason, int pending);

        [LoggerMessage(451, LogLevel.Error, "Reading stdin failed")]
        public static partial void ReadFailed(ILogger logger, Exception exception);
    }
}
