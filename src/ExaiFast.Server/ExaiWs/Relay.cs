using ExaiFast.Core.Dispatch;

namespace ExaiFast.Server.ExaiWs;

/// <summary>
/// A call a connection waits for on another daemon (<c>REDIS_URL</c>), and whether its client has sent <c>cancel</c>.
/// </summary>
/// <remarks>
/// The relay alone sends the request's <c>cancelled</c> reply and <c>call_tool_res</c>, so they leave in order; the reader
/// only records a cancel (<see cref="TryAskCancel"/>) and, when the other daemon cannot be told, <see cref="Stop"/>s the
/// wait so that the relay answers it here.
/// </remarks>
internal sealed class Relay(string tool, SharedLookup running)
{
    private const int Waiting = 0, CancelAsked = 1, Answered = 2;
    private int _state;

    /// <summary>The tool's name, for the ack of a re-send and for heartbeats.</summary>
    public string Tool { get; } = tool;

    /// <summary>The daemon running the call, and its deadline.</summary>
    public SharedLookup Running { get; } = running;

    /// <summary>Ends the wait early: the cancel could not reach the other daemon. Never disposed (it has no timer nor link).</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>Whether the client has sent <c>cancel</c> for it (from then on the relay answers it).</summary>
    public bool IsCancelAsked => Volatile.Read(ref _state) == CancelAsked;

    /// <summary>Whether its <c>call_tool_res</c> has been queued without a cancel pending (a later cancel finds nothing).</summary>
    public bool IsAnswered => Volatile.Read(ref _state) == Answered;

    /// <summary>The client's cancel; false if one came before, or the result has been queued already.</summary>
    public bool TryAskCancel() => Interlocked.CompareExchange(ref _state, CancelAsked, Waiting) == Waiting;

    /// <summary>After its result was queued; false if a cancel came meanwhile (the relay then answers that cancel too).</summary>
    public bool TryMarkAnswered() => Interlocked.CompareExchange(ref _state, Answered, Waiting) == Waiting;
}
