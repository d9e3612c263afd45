namespace ExaiFast.Tools.Threads;

/// <summary>Limits every thread store keeps (validated settings: <c>MAX_CONVERSATION_TURNS</c>,
/// <c>CONVERSATION_TIMEOUT_HOURS</c>, <c>EXAIFAST_THREADS_MAX</c>, <c>EXAIFAST_THREADS_MAX_MB</c>).</summary>
public sealed record ThreadStoreOptions
{
    /// <summary>Turns a thread may hold; a call on a full thread is refused with a clear error.</summary>
    public int MaxTurns { get; init; } = 20;

    /// <summary>A thread ends this long after its last turn (refreshed by every append).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromHours(3);

    /// <summary>In memory: threads kept at most (the least recently used goes first).</summary>
    public int MaxThreads { get; init; } = 10_000;

    /// <summary>In memory: bytes of turn text kept at most, all threads together (approximate: UTF-16 chars × 2).</summary>
    public long MaxBytes { get; init; } = 256L << 20;
}
