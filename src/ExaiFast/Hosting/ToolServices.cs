using ExaiFast.Configuration;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;
using ExaiFast.Metrics;
using ExaiFast.Models;
using ExaiFast.Models.Budgets;
using ExaiFast.Models.Local;
using ExaiFast.Models.OpenAICompatible;
using ExaiFast.Redis;
using ExaiFast.Server.Metrics;
using ExaiFast.Tools.Catalog;
using ExaiFast.Tools.Conformance;
using ExaiFast.Tools.Files;
using ExaiFast.Tools.Threads;
using ExaiFast.Tools.Tools;
using ExaiFast.Tools.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Hosting;

/// <summary>
/// What runs the tools, shared by <c>serve</c> and <c>stdio --in-process</c>: metrics, the dispatcher, the model
/// providers and the tool catalog, registered once here so that both serve exactly the same tools the same way.
/// </summary>
internal static class ToolServices
{
    /// <param name="services">The container.</param>
    /// <param name="settings">Validated settings.</param>
    public static IServiceCollection AddToolServices(this IServiceCollection services, ExaiFastSettings settings)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(sp => new DispatchMetrics(sp.GetRequiredService<ServerMetrics>().Registry));

        // Providers and tools: created once, here, before anything is accepted, so no lazy first-use set-up can race two
        // calls. Each configured provider gets a named HttpClient (pooled connections, retries, time-to-headers deadline)
        // and a circuit breaker per model.
        var configured = settings.Providers.Configured();

        // Polly's telemetry logs every HTTP attempt at Information, every retry at Warning and every timeout or handled
        // failure at Error, each with a stack trace: an upstream's expected faults would fill the log with errors.
        // ExaiFast.Providers logs one line per failed request, and one when a breaker opens, instead: Polly logs nothing.
        services.Configure<LoggerFilterOptions>(o => o.AddFilter("Polly", LogLevel.None));
        foreach (var options in configured)
        {
            services.AddProviderHttpClient(options);
        }

        services.AddSingleton(sp => new ProviderMetrics(sp.GetRequiredService<ServerMetrics>().Registry, sp.GetRequiredService<ProviderRegistry>,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("ExaiFast.Providers")));
        if (settings.Budgets.Any)
        {
            // With REDIS_URL the day's counts are Redis's: one budget for every daemon, kept across restarts.
            services.AddSingleton(sp => new SpendLedger(settings.Budgets, sp.GetRequiredService<TimeProvider>(),
                settings.RedisUrl is null ? null : new RedisSharedSpend(sp.GetRequiredService<RedisConnection>())));
        }

        services.AddSingleton(sp => new LocalModelProvider(settings.LocalModelLatency, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ProviderRegistry(
            [
                .. configured.Select(options => new OpenAICompatibleProvider(options, sp.GetRequiredService<IHttpClientFactory>(),
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ProviderMetrics>(), sp.GetService<SpendLedger>())),
                sp.GetRequiredService<LocalModelProvider>(),
            ],
            settings.Providers.DefaultModel));

        // The lanes are the registry's providers (one source of truth): a lane per configured provider plus local,
        // each with the worker count its EXAI_WS_<LANE>_MAX_INFLIGHT gives.
        services.AddSingleton(sp => LanesOf(settings.Dispatcher, sp.GetRequiredService<ProviderRegistry>()));
        // The bytes of big messages arriving, counted by the inbound budgets (the server's, stdio's) and read by the
        // dispatcher's memory monitor: one for the daemon.
        services.AddSingleton(new InboundActivity());
        services.AddSingleton(sp => new Dispatcher(sp.GetRequiredService<DispatcherOptions>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DispatchMetrics>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("ExaiFast.Dispatch"),
            sp.GetRequiredService<InboundActivity>()));
        // The process's one status object; whoever hosts the tools names the clients it counts (DaemonStatus.Count).
        services.AddSingleton(sp => new DaemonStatus(sp.GetRequiredService<Dispatcher>(), sp.GetRequiredService<TimeProvider>()));
        if (settings.RedisUrl is { } redisUrl)
        {
            // Conversation threads in Redis, shared by every daemon pointed at it. One multiplexer for the process; the
            // daemon starts with Redis down and serves what needs no thread meanwhile.
            services.AddSingleton(sp => RedisConnection.Connect(RedisUrl.Parse(redisUrl), sp.GetRequiredService<ILoggerFactory>().CreateLogger("ExaiFast.Redis"),
                sp.GetRequiredService<ServerMetrics>().Registry));
            services.AddSingleton<IStoreStatus>(sp => sp.GetRequiredService<RedisConnection>());
            services.AddSingleton<IThreadStore>(sp => new RedisThreadStore(sp.GetRequiredService<RedisConnection>(), settings.Threads, sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            // Conversation threads: in memory (bounded, trimmed when the memory monitor reports pressure).
            services.AddSingleton<IThreadStore>(sp =>
            {
                var store = new MemoryThreadStore(settings.Threads, sp.GetRequiredService<TimeProvider>());
                sp.GetRequiredService<Dispatcher>().SubscribeMemoryPressure(store);
                return store;
            });
        }

        services.AddSingleton<IToolCatalog>(sp => new ToolCatalog(CreateTools(sp, settings, sp.GetRequiredService<DaemonStatus>()), settings.Tools));
        return services;
    }

    /// <summary>Every tool this daemon has, before <see cref="ExaiFastSettings.Tools"/> selects the ones it offers.</summary>
    public static ITool[] CreateTools(IServiceProvider sp, ExaiFastSettings settings, IDaemonStatus status)
    {
        var providers = sp.GetRequiredService<ProviderRegistry>();
        var threads = sp.GetRequiredService<IThreadStore>();
        var files = new FileReader(settings.Files);
        var time = sp.GetRequiredService<TimeProvider>();
        return
        [
            new ChatTool(providers, threads, files, time),
            new ChallengeTool(),
            new PlannerTool(threads, time),
            new ConsensusTool(providers, threads, files, time),
            .. WorkflowCatalog.All.Select(spec => new WorkflowTool(spec, providers, threads, files, time)),
            new ListModelsTool(providers),
            new VersionTool(),
            new StatusTool(status, providers, sp.GetService<IStoreStatus>(), sp.GetRequiredService<ProviderMetrics>(), sp.GetService<SpendLedger>()),
            .. settings.ConformanceTools ? ConformanceTools.Create() : [],
        ];
    }

    private static DispatcherOptions LanesOf(DispatcherOptions options, ProviderRegistry providers) => options with
    {
        LaneSlots = providers.Lanes.ToDictionary(lane => lane, lane => options.LaneSlots.TryGetValue(lane, out int slots) ? slots : DefaultLaneSlots, StringComparer.Ordinal),
    };

    private const int DefaultLaneSlots = 4;
}
