using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>What the shared result store knows of a key this daemon does not: its result, or the daemon running it.</summary>
/// <param name="Result">The stored result, if the call has ended (on any daemon).</param>
/// <param name="RunningOn">The daemon still running it, if one said so when its client left.</param>
/// <param name="Deadline">When that call's deadline passes (with <paramref name="RunningOn"/>).</param>
public readonly record struct SharedLookup(CallResult? Result, string? RunningOn, DateTimeOffset Deadline)
{
    /// <summary>Nothing known: the call is new.</summary>
    public bool IsEmpty => Result is null && RunningOn is null;
}
