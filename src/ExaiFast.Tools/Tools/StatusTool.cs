using System.Globalization;
using System.Text.Json;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Budgets;

using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Tools;

/// <summary>Live load and provider state, for a human or a model deciding whether to wait.</summary>
/// <param name="status">The daemon's live numbers.</param>
/// <param name="providers">The providers.</param>
/// <param name="store">The shared store behind threads (Redis) and whether it is up; null: threads in memory.</param>
/// <param name="usage">The tokens each model has used since start; null: not told.</param>
/// <param name="ledger">Today's spend against the token budgets; null when no budget is set.</param>
public sealed class StatusTool(IDaemonStatus status, ProviderRegistry providers, IStoreStatus? store = null, ITokenUsage? usage = null,
    SpendLedger? ledger = null) : ToolBase
{
    /// <inheritdoc />
    public override string Name => "status";

    /// <inheritdoc />
    public override ToolAnnotations Annotations => new("Status", ReadOnly: true, OpenWorld: false, Idempotent: true);

    /// <inheritdoc />
    public override string Description => "The daemon's uptime, connections, calls, capacity, memory pressure, providers, token use and budgets.";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        await SimulateLatencyAsync(context, cancellationToken).ConfigureAwait(false);
        string providerList = string.Join(", ", providers.All.Select(Describe));
        string text = string.Create(CultureInfo.InvariantCulture,
            $"uptime {status.UptimeSeconds:0.0} s; connections {status.Connections}; sessions {status.Sessions}; calls in flight {status.Inflight} (this one included), queued {status.Queued}; worker capacity {status.Capacity}; memory {status.Memory.ToString().ToLowerInvariant()}; conversation store {(store is null ? "memory" : $"{store.Kind} ({(store.IsUp ? "up" : "down")})")}; providers: {providerList}{Tokens()}{Budgets()}");
        return new ToolOutput(text);
    }

    private string Tokens()
    {
        if (usage is null)
        {
            return "";
        }

        var used = usage.SinceStart();
        return used.Count == 0
            ? "; tokens since start: none"
            : "; tokens since start: " + string.Join(", ", used.Select(u => string.Create(CultureInfo.InvariantCulture,
                $"{u.Provider}/{u.Model} {u.PromptTokens:N0} in + {u.CompletionTokens:N0} out")));
    }

    // Spend is what the budgets count: the day's tokens (with REDIS_URL, every daemon's), against each daily budget set.
    private string Budgets()
    {
        if (ledger is null)
        {
            return "";
        }

        var budgets = ledger.Budgets;
        var parts = new List<string>();
        if (budgets.PerDay > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{ledger.UsedToday:N0} of {budgets.PerDay:N0} daily"));
        }

        foreach (var (provider, limit) in budgets.PerProviderPerDay.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{provider} {ledger.UsedTodayBy(provider):N0} of {limit:N0} daily"));
        }

        if (budgets.PerSessionPerDay > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{budgets.PerSessionPerDay:N0} per session daily"));
        }

        if (budgets.PerCall > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{budgets.PerCall:N0} per call"));
        }

        return $"; token budgets (today, resetting at 00:00 UTC): {string.Join(", ", parts)}";
    }

    // A provider is unavailable only when every model of it that was asked is open; each such model (deployment) is
    // listed with its own breaker, so one model failing shows as that model, not as the provider.
    private static string Describe(IModelProvider provider)
    {
        string state = provider.State switch
        {
            ProviderState.Open => "unavailable (circuit open)",
            ProviderState.HalfOpen => "available (circuit half-open)",
            _ => "available",
        };
        var deployments = provider.Deployments;
        if (deployments.Count == 0)
        {
            return $"{provider.Name} {state}";
        }

        return string.Create(CultureInfo.InvariantCulture, $"{provider.Name} {state} [{string.Join("; ", deployments.Select(d => d.State switch
        {
            ProviderState.Open => $"{d.Model}: circuit open, probe in {Math.Max(1, Math.Ceiling(d.RetryAfter.TotalSeconds)):0} s",
            ProviderState.HalfOpen => $"{d.Model}: circuit half-open",
            _ => $"{d.Model}: closed",
        }))}]");
    }
}
