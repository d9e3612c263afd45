using ExaiFast.Configuration;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Server.Metrics;
using ExaiFast.Tools;
using ExaiFast.Tools.Conformance;
using ExaiFast.Tools.Tools;
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
    /// <param name="status">What the <c>status</c> tool reports: the daemon's front doors, or the in-process bridge.</param>
    public static IServiceCollection AddToolServices(this IServiceCollection services, ExaiFastSettings settings, Func<IServiceProvider, IDaemonStatus> status)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(settings.Dispatcher);
        services.AddSingleton(sp => new DispatchMetrics(sp.GetRequiredService<ServerMetrics>().Registry));
        services.AddSingleton(sp => new Dispatcher(settings.Dispatcher, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DispatchMetrics>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("ExaiFast.Dispatch")));

        // Providers and tools: created once, here, before anything is accepted (ROADMAP items 3-5).
        services.AddSingleton(sp => new LocalModelProvider(settings.LocalModelLatency, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ProviderRegistry([sp.GetRequiredService<LocalModelProvider>()]));
        services.AddSingleton<IToolCatalog>(sp =>
        {
            var providers = sp.GetRequiredService<ProviderRegistry>();
            return new ToolCatalog([
                new ChatTool(providers),
                new ListModelsTool(providers),
                new VersionTool(),
                new StatusTool(status(sp), providers),
                .. settings.ConformanceTools ? ConformanceTools.Create() : [],
            ]);
        });
        return services;
    }
}
