using System.Diagnostics;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Dispatch;

/// <summary>One admitted execution of a tool: its arguments, deadline, token, subscribers and final result.</summary>
/// <remarks>
/// <para>The state only moves forward — Queued → Running → Completed, or Queued → Completed — so exactly one path
/// completes a call and runs its cleanup: a concurrency permit or an in-flight entry has no second exit to leak
/// through. Once completed, the subscriptions are frozen and read without the lock.</para>
/// <para>What a call borrows — its arguments' memory (<see cref="ArgumentsLease"/>) and a pooled token source — is given
/// back when the last of its holds is released: one for its completion, one for the lane slot that runs it (released
/// instead by whoever learns that no slot ever will: a refusal, or the end of a call that waited for its caller),
/// one for the admitting thread, and a short one for each <see cref="Cancel"/>. A call completed by a timeout while its
/// tool still runs therefore keeps its arguments readable until the tool returns, and a cancel that races the end
/// of a call can never reach the token source of the next call that reuses it.</para>
/// <para>The lock is the call object's own monitor: a thin lock in its header, so a call with one requester is one
/// object on the heap. The type is sealed and nothing outside the dispatcher locks it.</para>
/// </remarks>
public sealed class ToolCall : IRunningCall, ICallIdentity
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Completed = 2;

    private SubscriptionList _subscriptions;
    private ArgumentsLease _lease;
    private int _state;
    private int _reason;
    private int _chunkSequence;
    private int _holds = 3;
    private bool _holdsSlots;
    private string _lane;
    private CallSpend? _spend;

    internal ToolCall(Dispatcher owner, CallKey key, ITool tool, JsonElement arguments, string lane, bool stream, TimeSpan timeout,
        FlightKey? flightKey, long admittedAt, CancellationTokenSource cancellation, CallTicket ticket, bool holdsSlots = true, object? plan = null)
    {
        Plan = plan;
        _holdsSlots = holdsSlots;
        Owner = owner;
        Key = key;
        Tool = tool;
        Arguments = arguments;
        _lane = lane;
        Stream = stream;
        Timeout = timeout;
        FlightKey = flightKey;
        AdmittedAt = admittedAt;
        Cancellation = cancellation;
        Token = cancellation.Token;
        ticket.Subscribe(this, SubmitStatus.Accepted);
        _subscriptions.Add(new Subscription(key, ticket));
    }

    /// <summary>The key the call was admitted under (its first requester).</summary>
    public CallKey Key { get; }

    /// <summary>What the tool's validation decided for the run (<see cref="ToolValidation.Plan"/>), if anything.</summary>
    internal object? Plan { get; }

    /// <summary>The tool.</summary>
    public ITool Tool { get; }

    /// <summary>The validated arguments. Readable while the tool runs; not after the call has ended.</summary>
    public JsonElement Arguments { get; }

    /// <summary>The lane (provider) it runs in: the one it was admitted to, or the last it hopped to.</summary>
    /// <remarks>Changed only by the call's own flow (a hop); others may read the lane it was in a moment ago.</remarks>
    public string Lane { get => Volatile.Read(ref _lane); internal set => Volatile.Write(ref _lane, value); }

    /// <summary>Whether output is streamed as it is produced.</summary>
    public bool Stream { get; }

    /// <summary>The deadline, from admission.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Timestamp (TimeProvider) of admission.</summary>
    public long AdmittedAt { get; }

    /// <summary>Timestamp of the start of execution, 0 while queued.</summary>
    public long StartedAt { get; internal set; }

    /// <summary>Whether its tool is executing now.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == Running;

    /// <summary>Whether it has ended.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) == Completed;

    /// <summary>Why it was cancelled, if it was.</summary>
    public CancelReason CancelReason => (CancelReason)Volatile.Read(ref _reason);

    /// <summary>The final result, once completed.</summary>
    public CallResult? Result { get; private set; }

    internal Dispatcher Owner { get; }

    /// <summary>Its single-flight key, once known: at admission, or when it is registered late (see
    /// <see cref="TrySetFlightKey"/>). Read by others only after the flight table published it, or after the call ended.</summary>
    internal FlightKey? FlightKey { get; private set; }

    internal CancellationTokenSource Cancellation { get; }

    /// <summary>
    /// Whether the call holds a slot of its caller and its count in the dispatcher's in-flight total (they move together). A call waiting
    /// for its caller holds neither until <see cref="TryTakeSlots"/>; read by the completion, after the call has ended.
    /// </summary>
    internal bool HoldsSlots => _holdsSlots;

    /// <summary>
    /// The lane whose slot it holds while it runs: set by the slot that starts it and by its hops (null while it waits to
    /// hop in, or after a wait that ended without a slot), read by that slot's loop when the run ends. Only the call's own
    /// flow touches it.
    /// </summary>
    internal Lane? Slot { get; set; }

    /// <summary>What its model requests spent (made when the first asks).</summary>
    internal CallSpend Spend => _spend ?? Interlocked.CompareExchange(ref _spend, new CallSpend(Key.Caller, this), null) ?? _spend;

    /// <summary>Its trace span (null unless an exporter listens): started at admission, ended by the completion.</summary>
    internal Activity? Span { get; set; }

    /// <summary>The lane whose queue holds it until a slot takes it (guarded by that lane's lock).</summary>
    internal Lane? QueuedIn { get; set; }

    /// <summary>Whether it ended while still in <see cref="QueuedIn"/>'s queue (guarded by that lane's lock).</summary>
    internal bool EndedInQueue { get; set; }

    /// <summary>Its place in its caller's wait queue while it waits for a slot (guarded by the caller's lock).</summary>
    internal LinkedListNode<ToolCall>? WaitNode { get; set; }

    /// <summary>Read once at construction: the source may be reused by another call after this one is released.</summary>
    internal CancellationToken Token { get; }

    /// <summary>Whether some door still waits for its answer (a call nobody waits for is an orphan after the grace period).</summary>
    internal bool HasListeners
    {
        get
        {
            lock (this)
            {
                for (int i = 0; i < _subscriptions.Count; i++)
                {
                    if (_subscriptions[i].Ticket.IsWanted)
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>The ticket through which <paramref name="listener"/> already waits on this call for <paramref name="key"/>.</summary>
    internal bool TryGetTicket(CallKey key, ICallListener listener, out CallTicket ticket)
    {
        lock (this)
        {
            for (int i = 0; i < _subscriptions.Count; i++)
            {
                if (_subscriptions[i].Key == key && ReferenceEquals(_subscriptions[i].Ticket.Listener, listener))
                {
                    ticket = _subscriptions[i].Ticket;
                    return true;
                }
            }

            ticket = null!;
            return false;
        }
    }

    /// <summary>Whether <paramref name="key"/> is the execution's first key now (heartbeats go once per execution).</summary>
    internal bool IsPrimaryKey(CallKey key)
    {
        lock (this)
        {
            return _subscriptions.Count > 0 && _subscriptions[0].Key == key;
        }
    }

    /// <summary>Adds a subscription; false if the call already completed (the caller then uses the stored result).</summary>
    internal bool TryAttach(CallKey key, CallTicket ticket, SubmitStatus status)
    {
        lock (this)
        {
            if (_state == Completed)
            {
                return false;
            }

            ticket.Subscribe(this, status);

            // A key whose door went away is taken over rather than listed twice (that door's ticket is never answered).
            for (int i = 0; i < _subscriptions.Count; i++)
            {
                if (_subscriptions[i].Key == key && !_subscriptions[i].Ticket.IsWanted)
                {
                    _subscriptions.Set(i, new Subscription(key, ticket));
                    return true;
                }
            }

            _subscriptions.Add(new Subscription(key, ticket));
            return true;
        }
    }

    /// <summary>Stops notifying <paramref name="listener"/>; its keys stay, to collect the result later.</summary>
    internal void Detach(ICallListener listener)
    {
        lock (this)
        {
            if (_state == Completed)
            {
                return;
            }

            for (int i = 0; i < _subscriptions.Count; i++)
            {
                if (ReferenceEquals(_subscriptions[i].Ticket.Listener, listener))
                {
                    _subscriptions[i].Ticket.Detach();
                }
            }
        }
    }

    /// <summary>
    /// Removes one key (its tickets included) while other keys keep the execution, returning its subscriptions in
    /// <paramref name="removed"/>; otherwise says why not (then the caller cancels the whole call if the key is its only one).
    /// </summary>
    internal KeyDetach TryDetachKey(CallKey key, out List<Subscription>? removed)
    {
        removed = null;
        lock (this)
        {
            if (_state == Completed)
            {
                return KeyDetach.Completed;
            }

            if (_subscriptions.IndexOfKey(key) < 0)
            {
                return KeyDetach.NotSubscribed; // the key is joining this call right now (single-flight) and is not in it yet
            }

            if (_subscriptions.DistinctKeys() < 2)
            {
                return KeyDetach.OnlyKey;
            }

            removed = new List<Subscription>(1);
            for (int i = _subscriptions.Count - 1; i >= 0; i--)
            {
                if (_subscriptions[i].Key == key)
                {
                    removed.Add(_subscriptions[i]);
                    _subscriptions.RemoveAt(i);
                }
            }

            return KeyDetach.Detached;
        }
    }

    /// <summary>Sets the single-flight key of a call admitted without one; false if it has ended (it is not registered then).</summary>
    /// <remarks>Under the lock <see cref="TryComplete"/> takes: a completion either sees the whole key (and unregisters it)
    /// or comes first (and this refuses).</remarks>
    internal bool TrySetFlightKey(FlightKey key)
    {
        lock (this)
        {
            if (_state == Completed)
            {
                return false;
            }

            FlightKey = key;
            return true;
        }
    }

    internal bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    /// <summary>
    /// A waiting call is handed a caller's slot and its count; false if it has ended meanwhile (the giver keeps them).
    /// Under the lock that <see cref="TryComplete"/> takes, so the completion sees exactly what the call holds.
    /// </summary>
    internal bool TryTakeSlots()
    {
        lock (this)
        {
            if (_state == Completed)
            {
                return false;
            }

            _holdsSlots = true;
            return true;
        }
    }

    /// <summary>Moves to Completed exactly once; afterwards <see cref="CompletedSubscriptions"/> may be read freely.</summary>
    internal bool TryComplete(CallResult result)
    {
        lock (this)
        {
            if (_state == Completed)
            {
                return false;
            }

            Result = result;
            Volatile.Write(ref _state, Completed);
            return true;
        }
    }

    /// <summary>The frozen subscriptions of a completed call.</summary>
    internal ref readonly SubscriptionList CompletedSubscriptions
    {
        get
        {
            if (!IsCompleted)
            {
                throw new InvalidOperationException("the call has not completed");
            }

            return ref _subscriptions;
        }
    }

    /// <summary>Records why (first reason wins) and fires the token, unless the call has already let go of it.</summary>
    internal void Cancel(CancelReason reason)
    {
        if (!TryHold())
        {
            return; // ended and released: its token source may already serve another call
        }

        try
        {
            Interlocked.CompareExchange(ref _reason, (int)reason, (int)CancelReason.None);
            Cancellation.Cancel();
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Called by the admitting thread once the call is queued: the call now owns its arguments' memory.</summary>
    internal void Own(ArgumentsLease lease) => _lease = lease;

    /// <summary>Drops one hold; the last one gives back the arguments' memory and the token source.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            _lease.Dispose();
            _lease = default;
            Owner.ReturnCancellation(Cancellation);
        }
    }

    string IRunningCall.RequestId => Key.RequestId;

    string ICallIdentity.RequestId => Key.RequestId;

    string ICallIdentity.Caller => Key.Caller;

    string ICallIdentity.ToolName => Tool.Name;

    object? IRunningCall.Plan => Plan;

    CallSpend IRunningCall.Spend => Spend;

    ValueTask IRunningCall.EnterLaneAsync(string lane) => Owner.EnterLaneAsync(this, lane);

    ValueTask<LaneLease> IRunningCall.BorrowLaneAsync(string lane, CancellationToken cancellationToken) =>
        Owner.BorrowLaneAsync(this, lane, cancellationToken);

    void IRunningCall.ReportProgress(ProgressReport progress) => ReportProgress(progress);

    void IRunningCall.EmitChunk(string chunk) => EmitChunk(chunk);

    internal void ReportProgress(ProgressReport progress)
    {
        Notify(progress, static (ticket, call, p) => ticket.OnProgress(call, p));
    }

    internal void EmitChunk(string chunk)
    {
        if (!Stream || IsCompleted)
        {
            return;
        }

        lock (this) // numbered and told under one lock hold (Notify's lock is re-entrant): chunks arrive in their order
        {
            int sequence = ++_chunkSequence;
            Notify((sequence, chunk), static (ticket, call, s) => ticket.OnStreamChunk(call, s.sequence, s.chunk));
        }
    }

    private bool TryHold()
    {
        int holds = Volatile.Read(ref _holds);
        while (holds > 0)
        {
            int seen = Interlocked.CompareExchange(ref _holds, holds + 1, holds);
            if (seen == holds)
            {
                return true;
            }

            holds = seen;
        }

        return false;
    }

    // Tickets are told under the call's lock, so that a progress frame or stream chunk is queued either before the
    // call completes (TryComplete waits for the lock, and the result is delivered after it) or not at all: nothing
    // follows a call's result. Telling a listener only queues a frame and never waits; the monitor is re-entrant, so
    // a listener that ends the call on this thread (a connection that fails while writing) cannot deadlock.
    private void Notify<TState>(TState state, Action<CallTicket, ToolCall, TState> notify)
    {
        lock (this)
        {
            for (int i = 0; i < _subscriptions.Count && _state != Completed; i++)
            {
                notify(_subscriptions[i].Ticket, this, state);
            }
        }
    }
}
