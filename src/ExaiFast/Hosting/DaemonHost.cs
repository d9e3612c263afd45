using ExaiFast.Configuration;
using ExaiFast.Dashboard;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Metrics;
using ExaiFast.Models;
using ExaiFast.Redis;
using ExaiFast.Server.ExaiWs;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Mcp;
using ExaiFast.Tools.Threads;
using ExaiFast.Logging;
using ExaiFast.Server;
using ExaiFast.Server.Http;
using ExaiFast.Server.Limits;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.OAuth;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Hosting;

/// <summary>The composition root of <c>serve</c>: every singleton is created here, before the socket binds.</summary>
internal static class DaemonHost
{
    /// <param name="settings">Validated settings.</param>
    /// <param name="logStream">Where logs go.</param>
    /// <param name="ownsLogStream">Whether the host disposes <paramref name="logStream"/>.</param>
    /// <param name="pidFile">The PID file to write once bound (<see cref="PidFile"/>); null for none.</param>
    public static IHost Build(ExaiFastSettings settings, Stream logStream, bool ownsLogStream, string? pidFile = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(settings.Server);
        builder.Services.AddToolServices(settings);
        // One token guard for every door, so that rotate_token (over exai-ws) covers MCP too.
        builder.Services.AddSingleton(new TokenGuard(settings.ExaiWs.Token));
        // OAuth mode: the same guard answers for the token and for the issuer's access tokens, on every door.
        if (settings.OAuth.Enabled)
        {
            builder.Services.AddSingleton(sp => new OAuthResourceServer(settings.OAuth, IssuerClient(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("ExaiFast.OAuth")));
        }

        builder.Services.AddSingleton(sp => new AccessGuard(sp.GetRequiredService<TokenGuard>(), sp.GetService<OAuthResourceServer>()));
        // One set of call rate limits for every door: a client's exai-ws and MCP calls share its address's bucket.
        builder.Services.AddSingleton(sp => new CallRateLimits(settings.Server, sp.GetRequiredService<ServerMetrics>()));
        builder.Services.AddSingleton(sp => new ExaiWsHandler(
            settings.ExaiWs,
            sp.GetRequiredService<Dispatcher>(),
            sp.GetRequiredService<IToolCatalog>(),
            ProviderStates(sp),
            sp.GetRequiredService<DaemonStatus>(),
            settings.Server.MaxMessageBytes,
            settings.Dispatcher.CallerMaxInflight,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("ExaiFast.ExaiWs"),
            sp.GetRequiredService<TokenGuard>(),
            SharedResults(sp, settings),
            new ThreadArchive(sp.GetRequiredService<IThreadStore>()),
            ThreadTrust.Of(sp.GetRequiredService<TokenGuard>(), SettingRelations.IsLoopback(settings.Server.Host), settings.OAuth.Enabled))
        {
            RateLimits = sp.GetRequiredService<CallRateLimits>(),
            Access = sp.GetRequiredService<AccessGuard>(),
        });
        builder.Services.AddSingleton(sp => new McpProtocol(
            new DispatcherBackend(sp.GetRequiredService<Dispatcher>(), sp.GetRequiredService<IToolCatalog>(),
                new ThreadArchive(sp.GetRequiredService<IThreadStore>()),
                ThreadTrust.Of(sp.GetRequiredService<TokenGuard>(), SettingRelations.IsLoopback(settings.Server.Host), settings.OAuth.Enabled))
            {
                RateLimits = sp.GetRequiredService<CallRateLimits>(),
                Tasks = new McpTasks(sp.GetRequiredService<Dispatcher>(), sp.GetRequiredService<TimeProvider>()),
            },
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("ExaiFast.Mcp"))
        {
            MaxOutputTokens = settings.Mcp.MaxOutputTokens,
            PromptSizeLimit = settings.Mcp.PromptSizeLimit,
        });
        builder.Services.AddSingleton(sp => new McpHandler(sp.GetRequiredService<McpProtocol>()));
        builder.Services.AddSingleton(sp => new McpHttpSessions(sp.GetRequiredService<McpProtocol>(), settings.Mcp.MaxSessions,
            settings.Mcp.SessionIdleTimeout, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new SubprotocolRouter(sp.GetRequiredService<ExaiWsHandler>(), sp.GetRequiredService<McpHandler>(), sp.GetRequiredService<McpHttpSessions>()));
        builder.Services.AddSingleton<IWebSocketHandler>(sp => sp.GetRequiredService<SubprotocolRouter>());
        builder.Services.AddSingleton(sp => new ExaiFastServer(
            settings.Server,
            sp.GetRequiredService<IWebSocketHandler>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<ServerMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<AccessGuard>(),
            HttpEndpoints(sp),
            sp.GetRequiredService<InboundActivity>())
        {
            Models = sp.GetRequiredService<ProviderRegistry>().Readiness,
            Store = sp.GetService<IStoreStatus>(),
            Status = sp.GetRequiredService<DaemonStatus>(),
        });
        // The PID file is written before the server accepts (serve binds before the host starts), so a client that finds
        // the daemon ready finds its PID file too; it is removed after the server has drained.
        if (pidFile is not null)
        {
            builder.Services.AddHostedService(sp => new PidFileService(pidFile, sp.GetRequiredService<ILogger<PidFileService>>()));
        }

        builder.Services.AddHostedService<ServerHostedService>();

        // Registered after the server, so it starts once it is bound (and stops before it drains).

        if (settings.Health.File is { } healthFile)
        {
            builder.Services.AddHostedService(sp => new HealthFileService(Path.GetFullPath(healthFile), settings.Health.Interval,
                sp.GetRequiredService<DaemonStatus>(), sp.GetRequiredService<IToolCatalog>(), ProviderStates(sp),
                sp.GetRequiredService<ExaiFastServer>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<HealthFileService>>()));
        }

        if (settings.Tracing.Endpoint is { } otlp)
        {
            // Created by the container, so disposed (and flushed) by it, after the hosted services have stopped.
            builder.Services.AddSingleton(_ => TraceExport.Create(settings.Tracing, otlp, ServerInfo.Version));
        }

        // SIGTERM / Ctrl-C stop the host, which drains the server; give it the drain deadline plus a margin.
        builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Server.DrainTimeout + TimeSpan.FromSeconds(5));

        var logging = builder.Logging.AddExaiFastLogging(settings.Log, logStream, ownsLogStream);
        var host = builder.Build();

        // Resolve eagerly: providers and the server exist before anything is accepted (no lazy check-then-act).
        var metrics = host.Services.GetRequiredService<ServerMetrics>();
        host.Services.GetRequiredService<ILoggerFactory>();
        host.Services.GetRequiredService<IToolCatalog>();
        host.Services.GetRequiredService<ExaiFastServer>();
        // The status tool is one of the tools the doors serve, so the doors exist only now: the status counts their clients.
        host.Services.GetRequiredService<DaemonStatus>().Count(host.Services.GetRequiredService<SubprotocolRouter>());
        host.Services.GetService<OpenTelemetry.Trace.TracerProvider>(); // listening before the first call
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            if (logging.Processor is { } processor)
            {
                metrics.LogDropped.IncTo(processor.Dropped);
            }
        });
        return host;
    }

    /// <summary>Each provider's availability by name, as exai-ws <c>health</c> and the health file show it.</summary>
    private static Func<IReadOnlyDictionary<string, bool>> ProviderStates(IServiceProvider sp) =>
        () => sp.GetRequiredService<ProviderRegistry>().All.ToDictionary(p => p.Name, p => p.IsAvailable);

    /// <summary>
    /// With REDIS_URL, the dispatcher's stored results are shared through Redis (a reconnecting exai-ws client collects
    /// its result from whichever daemon it lands on); made once, with the handler, before anything is accepted.
    /// </summary>
    private static RedisSharedResults? SharedResults(IServiceProvider sp, ExaiFastSettings settings)
    {
        if (sp.GetService<RedisConnection>() is not { } redis)
        {
            return null;
        }

        var dispatcher = sp.GetRequiredService<Dispatcher>();
        var shared = new RedisSharedResults(redis, dispatcher, settings.Dispatcher.ResultTtl, settings.Dispatcher.ProgressInterval,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("ExaiFast.Redis"));
        dispatcher.ShareResults(shared);
        return shared;
    }

    /// <summary>The endpoint table beyond /health, /ready and /metrics (which the server adds itself): path to endpoint.</summary>
    /// <remarks>MCP Streamable HTTP (<c>POST /mcp</c>) and the dashboard (<c>/dashboard</c>, its data at <c>/dashboard/data</c>) register here.</remarks>
    private static Dictionary<string, IHttpEndpoint> HttpEndpoints(IServiceProvider sp)
    {
        var endpoints = Endpoints(sp);
        if (sp.GetService<OAuthResourceServer>() is { } oauth)
        {
            foreach (var (path, endpoint) in ProtectedResourceMetadataEndpoint.For(oauth))
            {
                endpoints.Add(path, endpoint);
            }
        }

        return endpoints;
    }

    // Fetches the issuer's metadata and keys: bounded in time and size (a hostile or broken issuer cannot stall or bloat the
    // daemon), and never redirected (the metadata must be where the issuer's identifier says it is).
    private static HttpClient IssuerClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromSeconds(10),
            MaxResponseContentBufferSize = 1 << 20,
        };

    private static Dictionary<string, IHttpEndpoint> Endpoints(IServiceProvider sp) => new(StringComparer.Ordinal)
    {
        ["/mcp"] = new McpHttpEndpoint(sp.GetRequiredService<McpProtocol>(), sp.GetRequiredService<McpHttpSessions>(),
            sp.GetRequiredService<AccessGuard>(), sp.GetRequiredService<ExaiFastSettings>().Server),
        ["/dashboard"] = new DashboardPageEndpoint(),
        ["/dashboard/data"] = new DashboardDataEndpoint(
            new DashboardData(sp.GetRequiredService<ExaiFastServer>, sp.GetRequiredService<DaemonStatus>(), sp.GetRequiredService<Dispatcher>(),
                sp.GetRequiredService<DispatchMetrics>(), sp.GetRequiredService<ProviderRegistry>(), sp.GetRequiredService<ProviderMetrics>(),
                sp.GetService<IStoreStatus>()),
            sp.GetRequiredService<AccessGuard>(), sp.GetRequiredService<ExaiFastSettings>().Server),
    };
}
