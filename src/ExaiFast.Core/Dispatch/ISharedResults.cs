using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// Stored results shared by several daemons (Redis), so that an exai-ws client that reconnects with its
/// <c>session_id</c> collects its result from whichever daemon the load balancer gives it.
/// </summary>
/// <remarks>
/// <para>Absent (null) without <c>REDIS_URL</c>: the dispatcher then pays one null test per stored result and nothing on
/// <see cref="Dispatcher.Submit"/>.</para>
/// <para>Thread-safe. <see cref="Stored"/> and <see cref="Orphaned"/> run on the completing or closing thread and never
/// wait: they queue their writes.</para>
/// </remarks>
public interface ISharedResults
{
    /// <summary>A result was stored for the result TTL under <paramref name="key"/>: share it.</summary>
    void Stored(CallKey key, CallResult result);

    /// <summary>The last connection listening for <paramref name="key"/> left while its call still runs here, until <paramref name="deadline"/> at most.</summary>
    void Orphaned(CallKey key, DateTimeOffset deadline);

    /// <summary>
    /// A connection of <paramref name="sessionId"/> said hello here: records this daemon as the session's and says
    /// whether another daemon served it within the result TTL (its results may then be elsewhere).
    /// </summary>
    ValueTask<bool> ClaimSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>What the shared store knows of <paramref name="key"/> (empty when unreachable: the call then runs here).</summary>
    ValueTask<SharedLookup> LookupAsync(CallKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Waits for the result of <paramref name="key"/>, running on another daemon (<paramref name="running"/>), and asks that
    /// daemon to keep it running for this client. Calls <paramref name="heartbeat"/> every progress interval meanwhile.
    /// </summary>
    /// <returns>The result, or a failure saying why none came (deadline passed, the other daemon went away).</returns>
    Task<CallResult> WaitAsync(CallKey key, SharedLookup running, Action heartbeat, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the daemon running <paramref name="key"/> (<paramref name="running"/>) to cancel it, as the client's
    /// <c>cancel</c> would have there.
    /// </summary>
    /// <returns>
    /// Whether that daemon heard it: its result — <c>CANCELLED</c>, or what the call ended with a moment before — then
    /// comes through <see cref="WaitAsync"/>. False when no daemon heard it (it stopped, or Redis cannot be reached):
    /// nothing cancels the call then, and it ends by its deadline.
    /// </returns>
    Task<bool> CancelElsewhereAsync(CallKey key, SharedLookup running, CancellationToken cancellationToken);
}
