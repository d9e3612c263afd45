namespace ExaiFast.Models.Budgets;

/// <summary>
/// The day's token counts kept where every daemon sees them (Redis), so that daemons behind one proxy spend one budget
/// and a restarted daemon goes on from what was spent.
/// </summary>
public interface ISharedSpend
{
    /// <summary>Whether the store can be reached now; when not, the ledger counts on its own.</summary>
    bool IsUp { get; }

    /// <summary>The day's shared counts: all providers, <paramref name="provider"/>'s, and <paramref name="session"/>'s (0 when none).</summary>
    Task<(long Day, long Provider, long Session)> ReadAsync(DateOnly day, string provider, string? session);

    /// <summary>Adds what a request of <paramref name="provider"/> used to the day's counts (and <paramref name="session"/>'s, when given).</summary>
    Task AddAsync(DateOnly day, string provider, string? session, long tokens);
}
