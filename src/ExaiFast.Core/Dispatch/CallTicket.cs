using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// One request's claim on a call's answer: what <see cref="Dispatcher.Submit"/> returns. It completes exactly once,
/// with the call's result, the stored result it replays, or the refusal.
/// </summary>
/// <remarks>
/// <para>The answer flows one way. Submit never calls the front door: a call that ends before Submit returns (a 0 ms
/// call run inline, a refusal, a replay) leaves its ticket completed, and the door reads <see cref="IsCompleted"/>
/// when it gets the ticket back — an exai-ws door then writes its ack and the result in one write. A call that takes
/// longer runs the door's continuation (<see cref="OnCompleted"/>) on the thread that ends it.</para>
/// <para>What streams (progress, chunks) reaches the door's <see cref="ICallListener"/> only once the door listens
/// (<see cref="Listen"/>, after its ack): until then the tool's reports and chunks are held and handed over first, and
/// heartbeats are dropped — nothing about a call reaches a client before its ack, and nothing a tool said before its
/// first await (an inline call runs inside Submit) is lost.</para>
/// <para>A door that must order a reply of its own before the result (exai-ws: <c>cancelled</c> before
/// <c>call_tool_res</c>) defers the continuation around it (<see cref="Defer"/>, <see cref="Resume"/>).</para>
/// </remarks>
public sealed class CallTicket
{
    private CallResult? _result;
    private Action<CallTicket, object?>? _continuation;
    private object? _state;
    private bool _continued;
    private bool _deferred;

    // Guarded by the call's lock (Call), as its subscriptions are.
    private ICallListener? _listener;
    private bool _detached;
    private List<HeldEvent>? _held;

    // Progress is droppable (a slow client loses it too); a tool reporting in a tight loop before its door listens
    // does not grow this without bound. Chunks are never dropped.
    private const int MaxHeldProgress = 16;
    private int _heldProgress;

    internal CallTicket(CallKey key, bool keepsResult)
    {
        Key = key;
        KeepsResult = keepsResult;
    }

    /// <summary>The request this ticket answers.</summary>
    public CallKey Key { get; }

    /// <summary>What Submit did with the request.</summary>
    public SubmitStatus Status { get; internal set; }

    /// <summary>The execution it waits for (Accepted, Attached, Coalesced); null for a refusal or a replay.</summary>
    public ToolCall? Call { get; private set; }

    /// <summary>Whether the answer is known.</summary>
    public bool IsCompleted => Volatile.Read(ref _result) is not null;

    /// <summary>The answer; only once <see cref="IsCompleted"/>.</summary>
    public CallResult Result => Volatile.Read(ref _result) ?? throw new InvalidOperationException("the call has not ended");

    /// <summary>Whether the key's result is kept for the result TTL once the call ends (see <see cref="CallRequest.KeepsResult"/>).</summary>
    internal bool KeepsResult { get; }

    /// <summary>Whether a door still waits for this answer: it has not listened yet, or listens (not detached).</summary>
    internal bool IsWanted => !_detached;

    /// <summary>The door's listener, once it listens and until it detaches.</summary>
    internal ICallListener? Listener => _listener;

    /// <summary>
    /// Streams the call's progress and chunks to <paramref name="listener"/> from now on, after the chunks produced
    /// before (held for it). A ticket without a call (a refusal, a replay) has nothing to stream.
    /// </summary>
    public void Listen(ICallListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (Call is not { } call)
        {
            return;
        }

        lock (call)
        {
            if (_held is { } held)
            {
                _held = null;
                foreach (var e in held)
                {
                    if (e.Chunk is { } chunk)
                    {
                        listener.OnStreamChunk(Key, call, e.Sequence, chunk);
                    }
                    else
                    {
                        listener.OnProgress(Key, call, e.Progress);
                    }
                }
            }

            if (!_detached)
            {
                _listener = listener;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="continuation"/> once the answer is known: now, on this thread, if it is (and not deferred),
    /// else on the thread that ends the call. Once per ticket.
    /// </summary>
    public void OnCompleted(Action<CallTicket, object?> continuation, object? state)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        lock (this)
        {
            if (_continuation is not null)
            {
                throw new InvalidOperationException("a ticket has one continuation");
            }

            _continuation = continuation;
            _state = state;
            if (_result is null || _deferred)
            {
                return;
            }

            _continued = true;
        }

        continuation(this, state);
    }

    /// <summary>Holds the continuation back until <see cref="Resume"/>, even if the answer comes meanwhile.</summary>
    public void Defer()
    {
        lock (this)
        {
            _deferred = true;
        }
    }

    /// <summary>Ends <see cref="Defer"/>: an answer that came meanwhile reaches the continuation now, on this thread.</summary>
    public void Resume()
    {
        Action<CallTicket, object?>? continuation;
        lock (this)
        {
            _deferred = false;
            continuation = TakeContinuation();
        }

        continuation?.Invoke(this, _state);
    }

    /// <summary>Joins the execution (under the call's lock, as the subscription is added).</summary>
    internal void Subscribe(ToolCall call, SubmitStatus status)
    {
        Call = call;
        Status = status;
    }

    /// <summary>
    /// The answer is known; runs the continuation unless deferred, or unless the door has gone (detached: nobody is
    /// left to tell — the key's stored result answers a client that comes back). False if it was already answered.
    /// </summary>
    /// <remarks>A call's tickets are completed after the call itself, which no detach follows: the flag is final here.</remarks>
    internal bool TryComplete(CallResult result)
    {
        Action<CallTicket, object?>? continuation;
        lock (this)
        {
            if (_result is not null)
            {
                return false;
            }

            Volatile.Write(ref _result, result);
            continuation = Volatile.Read(ref _detached) ? null : TakeContinuation();
        }

        continuation?.Invoke(this, _state);
        return true;
    }

    /// <summary>A refusal or a replay: answered before the request joined any execution.</summary>
    internal CallTicket Answered(SubmitStatus status, CallResult result)
    {
        Status = status;
        TryComplete(result);
        return this;
    }

    /// <summary>Its door went away (under the call's lock): nothing more is streamed; the key still collects the result.</summary>
    internal void Detach()
    {
        Volatile.Write(ref _detached, true);
        _listener = null;
        _held = null;
    }

    /// <summary>Progress of the call (under the call's lock): told to the listener, or held until the door listens
    /// (heartbeats are not: the next one will come).</summary>
    internal void OnProgress(ToolCall call, ProgressReport progress)
    {
        if (_listener is { } listener)
        {
            listener.OnProgress(Key, call, progress);
        }
        else if (!_detached && !progress.IsHeartbeat && _heldProgress < MaxHeldProgress)
        {
            _heldProgress++;
            (_held ??= []).Add(new HeldEvent(progress, 0, null));
        }
    }

    /// <summary>A stream chunk (under the call's lock): told to the listener, or held until the door listens.</summary>
    internal void OnStreamChunk(ToolCall call, int sequence, string chunk)
    {
        if (_listener is { } listener)
        {
            listener.OnStreamChunk(Key, call, sequence, chunk);
        }
        else if (!_detached)
        {
            (_held ??= []).Add(new HeldEvent(default, sequence, chunk));
        }
    }

    private readonly record struct HeldEvent(ProgressReport Progress, int Sequence, string? Chunk);

    private Action<CallTicket, object?>? TakeContinuation()
    {
        if (_result is null || _deferred || _continued || _continuation is null)
        {
            return null;
        }

        _continued = true;
        return _continuation;
    }
}
