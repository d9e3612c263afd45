namespace ExaiFast.Tools.Threads;

/// <summary>
/// Where conversation threads live: in memory (one daemon) or in Redis (several daemons behind a load balancer).
/// Threads only gain turns; every operation is atomic on its own.
/// </summary>
/// <remarks>A store that cannot be reached throws <see cref="Core.Tools.StoreUnavailableException"/>: the call gets
/// <c>STORE_UNAVAILABLE</c>, calls that need no thread go on.</remarks>
public interface IThreadStore
{
    /// <summary>What the store is, for <c>status</c> and logs: <c>memory</c> or <c>redis</c>.</summary>
    string Kind { get; }

    /// <summary>The limits it keeps.</summary>
    ThreadStoreOptions Options { get; }

    /// <summary>
    /// The model of thread <paramref name="id"/>'s newest answered turn, if this daemon knows it without asking anyone
    /// (in memory: always; Redis: when this daemon wrote or read the thread lately), else null. Validation runs on the
    /// connection's reader and cannot wait: it uses this to put a continuation in its model's lane.
    /// </summary>
    string? KnownModel(Guid id);

    /// <summary>The thread, or null when there is none (never created, or expired).</summary>
    ValueTask<ConversationThread?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Appends <paramref name="turn"/> to thread <paramref name="id"/>, atomically, and refreshes its TTL. With
    /// <paramref name="create"/> a missing thread is created with this turn as its first (the caller made up a new id);
    /// without it a missing thread is <see cref="ThreadAppendStatus.NotFound"/>.
    /// </summary>
    /// <returns>The outcome and the thread's turn count after it.</returns>
    ValueTask<(ThreadAppendStatus Status, int Turns)> AppendAsync(Guid id, ThreadTurn turn, bool create, CancellationToken cancellationToken);

    /// <summary>
    /// The <paramref name="max"/> most recently updated live threads, newest first, as summaries (their turns are not
    /// read whole). Bounded: a store never lists more than <paramref name="max"/>, whatever it holds.
    /// </summary>
    ValueTask<IReadOnlyList<Core.Threads.ThreadSummary>> RecentAsync(int max, CancellationToken cancellationToken);
}
