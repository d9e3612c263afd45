namespace ExaiFast.Models.Budgets;

/// <summary>Token budgets (0: none): what keeps one call, one client or one day from spending without bound.</summary>
public sealed record TokenBudgets
{
    /// <summary>Tokens one call's model requests may use together (<c>EXAIFAST_MAX_TOKENS_PER_CALL</c>).</summary>
    public long PerCall { get; init; }

    /// <summary>Tokens one client session may use in a UTC day (<c>EXAIFAST_MAX_TOKENS_PER_SESSION_PER_DAY</c>).</summary>
    public long PerSessionPerDay { get; init; }

    /// <summary>Tokens the daemon may use in a UTC day (<c>EXAIFAST_MAX_TOKENS_PER_DAY</c>).</summary>
    public long PerDay { get; init; }

    /// <summary>Tokens each named provider may use in a UTC day (<c>EXAIFAST_MAX_TOKENS_PER_DAY_BY_PROVIDER</c>).</summary>
    public IReadOnlyDictionary<string, long> PerProviderPerDay { get; init; } = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether any budget is set.</summary>
    public bool Any => PerCall > 0 || PerSessionPerDay > 0 || PerDay > 0 || PerProviderPerDay.Count > 0;
}
