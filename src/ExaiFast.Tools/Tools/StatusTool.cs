using System.Globalization;
using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Models;

using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Tools;

/// <summary>Live load and provider state, for a human or a model deciding whether to wait.</summary>
/// <param name="status">The daemon's live numbers.</param>
/// <param name="providers">The providers.</param>
/// <param name="store">The shared store behind threads (Redis) and whether it is up; null: threads in memory.</param>
public sealed class StatusTool(IDaemonStatus status, ProviderRegistry providers, IStoreStatus? store = null) : ToolBase
{
    /// <inheritdoc />
    public override string Name => "status";

    /// <inheritdoc />
    public override string Description => "Show the daemon's uptime, connections, calls in flight and queued, capacity, memory pressure, and provider availability.";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        await SimulateLatencyAsync(context, cancellationToken).ConfigureAwait(false);
        string providerList = string.Join(", ", providers.All.Select(p => $"{p.Name} {p.State switch { ProviderState.Open => "unavailable (circuit open)", ProviderState.HalfOpen => "available (circuit half-open)", _ => "available" }}"));
        string text = string.Create(CultureInfo.InvariantCulture,
            $"uptime {status.UptimeSeconds:0.0} s; connections {status.Connections}; sessions {status.Sessions}; calls in flight {status.Inflight} (this one included), queued {status.Queued}; worker capacity {status.Capacity}; memory {status.Memory.ToString().ToLowerInvariant()}; conversation store {(store is null ? "memory" : $"{store.Kind} ({(store.IsUp ? "up" : "down")})")}; providers: {providerList}");
        return new ToolOutput(text);
    }
}
