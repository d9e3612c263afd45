using System.Runtime.InteropServices;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ObjectPool;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// Admits tool calls into bounded lanes with a fixed number of slots each, enforces the global and per-caller limits,
/// deadlines and cancellation, shares identical work, and keeps results for re-delivery.
/// </summary>
/// <remarks>
/// <para><see cref="Submit"/> and <see cref="Cancel"/> never wait: a reader loop may call them for every frame. Submit may
/// run a small call's tool until its first real await (<see cref="Options.DispatcherOptions.InlineMaxArgumentBytes"/>),
/// so a 0 ms call is answered before Submit returns: its <see cref="CallTicket"/> comes back completed. Submit never
/// calls the front door — the answer flows one way, through the ticket Submit returns.</para>
/// <para>A call enters the call table in <see cref="Submit"/> and is replaced there by its result in
/// <see cref="Complete"/>, which runs exactly once per call (guarded by the call's state) whether it ends by result,
/// error, timeout, cancel, disconnect or shutdown; besides them only a client's cancel of one of several single-flight
/// keys, and the undo of a refused admission, touch a key.</para>
/// <para>Thread-safe; one instance per daemon, created before the server accepts connections.</para>
/// </remarks>
public sealed partial class Dispatcher : IAsyncDisposable
{
    private readonly DispatcherOptions _options;
    private readonly TimeProvider _time;
    private readonly DispatchMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Lane> _lanes;
    private readonly FlightTable _flights;
    private readonly CallerLoad _callers = new();
    private readonly CallTable _table;
    private readonly ObjectPool<CancellationTokenSource> _cancellations;
    private readonly CancellationTokenSource _heartbeatStop = new();
    private readonly Task _heartbeat;
    private readonly RunningLimit _running;
    private readonly MemoryMonitor _memory;
    private readonly Task _memoryWatch;
    private int _admitted;
    private volatile bool _draining;

    /// <summary>Results kept for the result TTL (repeats of their keys are answered from them).</summary>
    public int StoredResults => _table.StoredCount;

    /// <summary>Creates the lanes and starts the progress heartbeat and the memory monitor.</summary>
    /// <param name="options">The lanes, limits and memory marks.</param>
    /// <param name="time">The clock; the system's if null.</param>
    /// <param name="metrics">Where the dispatcher counts; nowhere if null.</param>
    /// <param name="logger">Where it logs; nowhere if null.</param>
    /// <param name="inbound">The daemon's big inbound messages arriving, which keep the memory monitor from taking the
    /// daemon for quiet; none ever if null.</param>
    public Dispatcher(DispatcherOptions options, TimeProvider? time = null, DispatchMetrics? metrics = null, ILogger? logger = null, InboundActivity? inbound = null)
        : this(options, time, metrics, logger, new MemoryMonitor(MemoryMarks.Resolve(options), time ?? TimeProvider.System, inbound: inbound))
    {
    }

    /// <summary>As the public constructor, with the memory monitor given (tests read their own "heap").</summary>
    internal Dispatcher(DispatcherOptions options, TimeProvider? time, DispatchMetrics? metrics, ILogger? logger, MemoryMonitor? memory)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        // One token source per call in flight at most, reused: a call's deadline, cancel and registration then
        // allocate nothing (a source that was cancelled cannot be reset and is simply dropped).
        _cancellations = new DefaultObjectPool<CancellationTokenSource>(new CancellationSourcePolicy(), Math.Max(16, options.GlobalMaxInflight));
        // Admitted calls run (up to the global limit) or wait in a lane's queue: sized for all of them, within 1 MiB
        // (single-flight is best effort: beyond that, twins that collide simply run apart).
        _flights = new FlightTable((int)Math.Min(1 << 16, options.GlobalMaxInflight + ((long)options.LaneSlots.Count * options.QueueDepth)));
        _table = new CallTable(_time, options.ResultTtl, options.ResultStoreCapacity);
        _running = new RunningLimit(options.GlobalMaxInflight);
        _lanes = options.LaneSlots.ToDictionary(l => l.Key, l => new Lane(l.Key, l.Value, options.QueueDepth, _running, RunAsync, LaneFault), StringComparer.Ordinal);
        foreach (var lane in _lanes.Values)
        {
            metrics?.Slots.WithLabels(lane.Name).Set(lane.Slots);
        }

        // Gauges are read at scrape time, so /metrics is exact whenever it is asked.
        metrics?.Registry.AddBeforeCollectCallback(UpdateGauges);
        _memory = memory ?? new MemoryMonitor(MemoryMarks.Resolve(options), _time);
        _heartbeat = HeartbeatAsync();
        _memoryWatch = WatchMemoryAsync();
    }

    /// <summary>Calls admitted and not finished.</summary>
    public int Inflight => Volatile.Read(ref _admitted);

    /// <summary>Calls waiting in all lanes' queues (including cancelled ones not yet dequeued).</summary>
    public int Queued => _lanes.Values.Sum(l => l.Queued);

    /// <summary>Calls waiting for a slot of their caller (front doors that wait rather than refuse: MCP).</summary>
    public int CallerWaiting => _callers.Waiting;

    /// <summary>Slots executing a call now.</summary>
    public int BusySlots => _lanes.Values.Sum(l => l.Busy);

    /// <summary>Slots in all lanes.</summary>
    public int Capacity => _lanes.Values.Sum(l => l.Slots);

    /// <summary>Keys in the in-flight table (a call shared by several requests appears once per key).</summary>
    public int InflightKeys => _table.CallCount;

    /// <summary>Whether no call is registered for single-flight (tests: a call that ends inside Submit registers none).</summary>
    internal bool FlightsEmpty => _flights.IsEmpty;

    /// <summary>Sessions with at least one call in flight.</summary>
    public int ActiveCallers => _callers.Callers;

    /// <summary>The lanes and their slot counts.</summary>
    public IReadOnlyDictionary<string, int> Lanes => _options.LaneSlots;

    /// <summary>Each lane's load now.</summary>
    public IReadOnlyList<LaneLoad> LaneLoads() => [.. _lanes.Values.Select(l => new LaneLoad(l.Name, l.Slots, l.Busy, l.Queued))];

    /// <summary>The memory monitor's level: at <see cref="Dispatch.MemoryPressure.Critical"/> new calls are refused.</summary>
    public MemoryPressure MemoryPressure => _memory.Level;

    /// <summary>The managed heap as the memory monitor last read it, in bytes.</summary>
    public long HeapBytes => _memory.HeapBytes;

    /// <summary>The memory monitor's thresholds.</summary>
    public MemoryMarks MemoryMarks => _memory.Marks;

    /// <summary>
    /// Tells <paramref name="listener"/> of every memory reading above normal (the memory monitor as a service: stores
    /// other than the dispatcher's own give memory back through it).
    /// </summary>
    public void SubscribeMemoryPressure(IMemoryPressureListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        IMemoryPressureListener[] before, after;
        do
        {
            before = Volatile.Read(ref _pressureListeners);
            after = [.. before, listener];
        }
        while (Interlocked.CompareExchange(ref _pressureListeners, after, before) != before);
    }

    private IMemoryPressureListener[] _pressureListeners = [];

    /// <summary>Whether <see cref="DrainAsync"/> has begun.</summary>
    public bool IsDraining => _draining;

    /// <summary>A call's deadline when its request asks for none shorter.</summary>
    public TimeSpan CallTimeout => _options.CallTimeout;

    /// <summary>How long a call's result is kept after it ends, for a request that asks again (zero: none is kept).</summary>
    public TimeSpan ResultTtl => _options.ResultTtl;

    /// <summary>Slots taken and calls queued in <paramref name="lane"/> (tests).</summary>
    internal (int Busy, int Queued) LoadOf(string lane) => (_lanes[lane].Busy, _lanes[lane].Queued);

    /// <summary>Entries in <paramref name="lane"/>'s queues, calls that ended while queued included (read unlocked: for tests).</summary>
    internal int QueueEntriesOf(string lane) => _lanes[lane].Entries;

    /// <summary>Whether <paramref name="lane"/> exists.</summary>
    public bool HasLane(string lane) => _lanes.ContainsKey(lane);

    /// <summary>
    /// Admits, attaches, replays or refuses — at once. The ticket completes exactly once with the request's answer:
    /// already, for a refusal, a replay or a call that ended inline; else on the thread that ends the call.
    /// </summary>
    /// <remarks>
    /// The request's bytes (<see cref="CallRequest.ArgumentsLease"/>) are the dispatcher's from here, whatever it
    /// answers: an admitted call reads its arguments from them until it ends; any other answer gives them back before
    /// this returns. The caller lets go of them at this one line.
    /// </remarks>
    public CallTicket Submit(in CallRequest request)
    {
        var ticket = Admit(request, new CallTicket(request.Key, request.KeepsResult));
        if (ticket.Status != SubmitStatus.Accepted)
        {
            request.ArgumentsLease.Dispose(); // attached, coalesced, replayed or refused: nothing reads these bytes
        }

        return ticket;
    }

    private CallTicket Admit(in CallRequest request, CallTicket ticket)
    {
        var key = request.Key;
        if (_draining)
        {
            return Refuse(request, ticket, ErrorCodes.ShuttingDown, "the daemon is shutting down", retryAfter: null);
        }

        // The same request id again: attach to the running call, or replay its stored result. Never a second run.
        if (_table.TryGetCall(key, out var running))
        {
            if (running.TryAttach(key, ticket, SubmitStatus.Attached))
            {
                return Counted(ticket);
            }

            if (running.Result is { } ended)
            {
                // It ended a moment ago and its entry is about to become its result: that result is the answer.
                return Counted(ticket.Answered(SubmitStatus.Replayed, ended));
            }
        }

        if (_table.TryGetResult(key, out var stored))
        {
            return Counted(ticket.Answered(SubmitStatus.Replayed, stored));
        }

        // Single-flight needs the arguments' canonical hash only to find a twin, so it is computed now only when some
        // call is registered; otherwise it is computed once the call turns out to take time (RegisterFlight), and a 0 ms
        // call that ends inside Submit never hashes its arguments. Identical calls admitted in the same microseconds
        // may then run apart: single-flight is an optimisation, never a promise.
        bool coalescable = request.Tool.Coalescable && !_options.DisableCoalesceFor.Contains(request.Tool.Name);
        FlightKey? flightKey = coalescable && !_flights.IsEmpty
            ? CanonicalJson.Hash(key.Caller, request.Tool.Name, request.Arguments)
            : null;
        if (flightKey is { } fk && _flights.TryGet(fk, out var twin))
        {
            // Registered under this key before the twin knows the key: its completion then finds the key mapped to it
            // and stores its result there (attached the other way round, a completion in between left the key mapped
            // to an ended call for ever). A repeat of this request id attaches, and its cancel is found.
            if (!_table.TryRegister(key, twin))
            {
                return Admit(request, ticket); // another request with this key was admitted or answered a moment ago: join or replay it
            }

            if (twin.TryAttach(key, ticket, SubmitStatus.Coalesced))
            {
                return Counted(ticket);
            }

            _table.Unregister(key, twin); // the twin ended meanwhile: this request runs on its own
        }

        // Under critical memory pressure only new work is refused: attaching, replaying and coalescing cost nothing.
        if (_memory.Level == MemoryPressure.Critical)
        {
            return Refuse(request, ticket, ErrorCodes.OverCapacity, "the daemon is short of memory and takes no new calls until it recovers",
                Math.Max(_options.OverCapacityRetryAfterSeconds, _options.MemoryCheckInterval.TotalSeconds));
        }

        if (!_lanes.TryGetValue(request.Lane, out var lane))
        {
            return Refuse(request, ticket, ErrorCodes.InternalError, $"no lane '{request.Lane}'", retryAfter: null);
        }

        // Counted as admitted (Inflight) until it ends; a call waiting for its caller is not, and is counted again when
        // a slot of its caller is handed to it, from a call that was. Beyond the global limit on running calls a call
        // waits in its lane's queue (Lane, RunningLimit): only a full queue refuses it.
        Interlocked.Increment(ref _admitted);
        bool holdsCallerSlot = _callers.TryAcquire(key.Caller, _options.CallerMaxInflight);
        if (!holdsCallerSlot && (!request.WaitForSlot || _options.CallerQueueDepth == 0))
        {
            Interlocked.Decrement(ref _admitted);
            return Refuse(request, ticket, ErrorCodes.OverCapacity, $"session has {_options.CallerMaxInflight} calls in flight", _options.OverCapacityRetryAfterSeconds);
        }

        var timeout = request.Timeout is { } t && t < _options.CallTimeout ? t : _options.CallTimeout;
        var arguments = request.ArgumentsLease.IsEmpty ? request.Arguments.Clone() : request.Arguments;
        var call = new ToolCall(this, key, request.Tool, arguments, request.Lane, request.Stream, timeout, flightKey, _time.GetTimestamp(), _cancellations.Get(), ticket, holdsCallerSlot, request.Plan);
        if (!_table.TryRegister(key, call))
        {
            // Another frame with the same key won the race a moment ago: share its call or its result instead.
            // This call was never seen.
            if (holdsCallerSlot)
            {
                PassOnSlots(key.Caller);
            }
            else
            {
                Interlocked.Decrement(ref _admitted);
            }

            ReturnCancellation(call.Cancellation);
            return Admit(request, ticket);
        }

        if (flightKey is not null)
        {
            _flights.TryAdd(flightKey.Value, call);
        }

        call.Span = CallSpan.Start(call, request.TraceParent);

        bool lateFlight = coalescable && flightKey is null;

        // Arm the deadline before a slot can run the call: a 0 ms call may complete on a slot before this thread
        // runs another line after TryAdmit (the admitting hold keeps its token source until this method returns).
        // A call that is cancelled or reaches its deadline completes now: a queued one does not wait for a slot to
        // run it, and a running one does not wait for a tool that ignores its token (the client gets its TIMEOUT
        // on time; the slot stays busy, and the call keeps its arguments, until the tool returns). A call waiting for
        // its caller is on the clock too.
        call.Token.UnsafeRegister(static state =>
        {
            var c = (ToolCall)state!;
            c.Owner.Complete(c, ResultForCancellation(c));
        }, call);
        call.Cancellation.CancelAfter(timeout);

        if (!holdsCallerSlot)
        {
            switch (_callers.AcquireOrWait(key.Caller, _options.CallerMaxInflight, _options.CallerQueueDepth, call))
            {
                case CallerAdmission.Waiting:
                    Interlocked.Decrement(ref _admitted); // a waiter is not counted until a slot of its caller is handed to it
                    if (lateFlight)
                    {
                        RegisterFlight(call);
                    }

                    return Accepted(request, ticket, call);
                case CallerAdmission.Ended:
                    // Its deadline or a cancel ended it before it could queue: its completion has answered.
                    Interlocked.Decrement(ref _admitted);
                    call.Release(); // no slot will run it
                    return Accepted(request, ticket, call);
                case CallerAdmission.Full:
                    Interlocked.Decrement(ref _admitted);
                    return RefuseUnqueued(request, ticket, call, CallResult.Failed(ErrorCodes.OverCapacity,
                        $"session has {_options.CallerMaxInflight} calls in flight and {_options.CallerQueueDepth} waiting", _options.OverCapacityRetryAfterSeconds));
                default:
                    // A slot came free meanwhile: the call takes it (and is counted again), unless it has already ended.
                    if (!call.TryTakeSlots())
                    {
                        PassOnSlots(key.Caller);
                        call.Release(); // no slot will run it
                        return Accepted(request, ticket, call); // its end has answered
                    }

                    break;
            }
        }

        switch (lane.TryAdmit(call))
        {
            case LaneAdmission.Full:
                return RefuseUnqueued(request, ticket, call, CallResult.Failed(ErrorCodes.OverCapacity, $"lane '{request.Lane}' queue is full ({_options.QueueDepth})", _options.OverCapacityRetryAfterSeconds));
            case LaneAdmission.Queued:
                if (lateFlight)
                {
                    RegisterFlight(call);
                }

                return Accepted(request, ticket, call);
            default:
                // A free slot. A small call runs right here until its first real await — on a connection's reader, a
                // 0 ms call is answered before Submit returns, with no thread hand-off (its ticket comes back completed,
                // and what it streamed is held by the ticket until the door has sent its ack). A big one starts on the
                // thread pool: the reader has its connection to serve. Admission keeps its hold meanwhile, so the arguments stay readable for RegisterFlight; the
                // call owns them from Accepted on (if it has ended by then, Accepted's release gives them back).
                if (JsonMarshal.GetRawUtf8Value(request.Arguments).Length <= _options.InlineMaxArgumentBytes)
                {
                    lane.RunHere(call);
                    if (lateFlight && !call.IsCompleted)
                    {
                        RegisterFlight(call); // it waits for something: from now on an identical call may join it
                    }
                }
                else
                {
                    if (lateFlight)
                    {
                        RegisterFlight(call);
                    }

                    lane.RunOnPool(call);
                }

                return Accepted(request, ticket, call);
        }
    }

    /// <summary>Cancels the call with this key; a shared execution only drops this key's interest.</summary>
    public CancelResult Cancel(CallKey key)
    {
        if (!_table.TryGetCall(key, out var call))
        {
            return new CancelResult(false, false);
        }

        bool wasRunning = call.IsRunning;
        switch (call.TryDetachKey(key, out var detached))
        {
            case KeyDetach.Detached:
                // Other requests (single-flight twins) still want this execution: only this one gives up.
                var cancelled = CallResult.Failed(ErrorCodes.Cancelled, "cancelled by the client");
                Settle(key, call, cancelled, detached![0].Ticket.KeepsResult);
                foreach (var subscription in detached)
                {
                    Answer(call, subscription, cancelled);
                }

                return new CancelResult(true, wasRunning);
            case KeyDetach.NotSubscribed:
                // Another connection of the session is joining this key to a twin at this moment: cancelling the twin
                // would cancel it for its own requesters. The cancel came before the call it names was set up.
                return new CancelResult(false, false);
            default:
                call.Cancel(CancelReason.Client);
                return new CancelResult(true, wasRunning);
        }
    }

    /// <summary>
    /// A connection ended: stop notifying <paramref name="listener"/>. Calls keep running (a reconnecting client
    /// collects them); <see cref="CancelOrphans"/> ends those nobody came back for.
    /// </summary>
    /// <remarks>
    /// Scans the call table (bounded by the in-flight limit plus the result store's capacity) rather than keeping a set
    /// of keys per connection: a connection closes once, a call is made on it many times.
    /// </remarks>
    public void Detach(ICallListener listener, string caller)
    {
        foreach (var (key, call) in _table.Calls)
        {
            if (key.Caller == caller)
            {
                call.Detach(listener);
                if (_shared is { } shared && !call.HasListeners)
                {
                    // The client may come back through another daemon: say that this one runs it, and until when.
                    var left = call.Timeout - _time.GetElapsedTime(call.AdmittedAt);
                    shared.Orphaned(key, _time.GetUtcNow() + (left > TimeSpan.Zero ? left : TimeSpan.Zero));
                }
            }
        }
    }

    /// <summary>
    /// Shares stored results with other daemons from now on (<c>REDIS_URL</c>). Called once by the composition root,
    /// before the server accepts connections.
    /// </summary>
    public void ShareResults(ISharedResults shared) =>
        _shared = _shared is null ? shared ?? throw new ArgumentNullException(nameof(shared)) : throw new InvalidOperationException("results are shared already");

    private ISharedResults? _shared;

    /// <summary>The store shared with other daemons (<see cref="ShareResults"/>); null without one.</summary>
    public ISharedResults? SharedResults => _shared;

    /// <summary>Whether this daemon has a call or an unexpired result under <paramref name="key"/> (then Submit attaches or replays).</summary>
    public bool HasKey(CallKey key) => _table.TryGetCall(key, out _) || _table.TryGetResult(key, out _);

    /// <summary>
    /// Adds <paramref name="listener"/> to the running call under <paramref name="key"/>; false if there is none (ended,
    /// or never here). A client waiting through another daemon keeps its call from being cancelled as an orphan; its
    /// answer reaches that client through the stored result, not through this ticket.
    /// </summary>
    public bool TryAttach(CallKey key, ICallListener listener)
    {
        var ticket = new CallTicket(key, keepsResult: true);
        if (!_table.TryGetCall(key, out var call) || !call.TryAttach(key, ticket, SubmitStatus.Attached))
        {
            return false;
        }

        ticket.Listen(listener);
        return true;
    }

    /// <summary>The ticket of the running or queued call with this key, if <paramref name="listener"/> already waits for it.</summary>
    public bool TryGetTicket(CallKey key, ICallListener listener, out CallTicket ticket)
    {
        ticket = null!;
        return _table.TryGetCall(key, out var call) && call.TryGetTicket(key, listener, out ticket);
    }

    /// <summary>Cancels the caller's calls that no listener waits for any more (after the disconnect grace).</summary>
    public int CancelOrphans(string caller)
    {
        int n = 0;
        foreach (var (key, call) in _table.Calls)
        {
            if (key.Caller == caller && !call.HasListeners)
            {
                call.Cancel(CancelReason.Disconnected);
                n++;
            }
        }

        return n;
    }

    /// <summary>The running or queued call with this key, if any.</summary>
    public bool TryGetCall(CallKey key, out ToolCall call) => _table.TryGetCall(key, out call);

    /// <summary>The stored result of the call with this key (one submitted with <see cref="CallRequest.KeepsResult"/>), unless it expired or was trimmed.</summary>
    public bool TryGetResult(CallKey key, out CallResult result) => _table.TryGetResult(key, out result);

    /// <summary>
    /// Refuses new calls, waits for in-flight ones until <paramref name="deadline"/>, then cancels the rest
    /// (they end with SHUTTING_DOWN) and waits for the lanes' slots to be given back.
    /// </summary>
    public async Task DrainAsync(TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        _draining = true;
        long start = _time.GetTimestamp();
        while (Inflight > 0 && _time.GetElapsedTime(start) < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var (_, call) in _table.Calls)
        {
            call.Cancel(CancelReason.Shutdown);
        }

        await Task.WhenAll(_lanes.Values.Select(l => l.DrainAsync())).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_draining)
        {
            await DrainAsync(TimeSpan.Zero).ConfigureAwait(false);
        }

        await _heartbeatStop.CancelAsync().ConfigureAwait(false);
        foreach (var loop in new[] { _heartbeat, _memoryWatch })
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
        }

        _heartbeatStop.Dispose();
    }

    /// <summary>Takes back a call's token source once nothing can reach it any more.</summary>
    internal void ReturnCancellation(CancellationTokenSource source)
    {
        // TryReset fails once cancellation was requested or the deadline timer ever fired: such a source is dropped.
        if (source.TryReset())
        {
            _cancellations.Return(source);
        }
    }

    /// <summary>
    /// Registers for single-flight a coalescable call admitted without its key (no call was registered to compare it
    /// with). The caller still holds the call's admission, so its arguments are readable.
    /// </summary>
    private void RegisterFlight(ToolCall call)
    {
        var key = CanonicalJson.Hash(call.Key.Caller, call.Tool.Name, call.Arguments);
        if (!call.TrySetFlightKey(key))
        {
            return; // it has ended
        }

        _flights.TryAdd(key, call);
        if (call.IsCompleted)
        {
            _flights.Remove(key, call); // it ended meanwhile, and its completion may have looked before the registration
        }
    }

    /// <summary>The call is queued, waiting, running or ended: it owns its arguments now, and the admitting thread lets go of it.</summary>
    private CallTicket Accepted(in CallRequest request, CallTicket ticket, ToolCall call)
    {
        if (!request.ArgumentsLease.IsEmpty)
        {
            call.Own(request.ArgumentsLease);
        }

        call.Release(); // admission's hold: from here the call may be released by whoever finishes with it last
        return Counted(ticket);
    }

    /// <summary>
    /// A call that was registered but never queued is refused: the submitter gets the refusal from Submit, and the key
    /// is undone without storing a result (a retry is a fresh call).
    /// </summary>
    private CallTicket RefuseUnqueued(in CallRequest request, CallTicket ticket, ToolCall call, CallResult refused)
    {
        var key = call.Key;
        call.Release(); // no slot will run it
        if (!call.TryComplete(refused))
        {
            // Its deadline, a cancel or shutdown ended it a moment ago, and that completion has answered the listener:
            // this is an accepted call that has ended, not a second answer.
            return Accepted(request, ticket, call);
        }

        _table.Unregister(key, call);
        if (call.FlightKey is not null)
        {
            _flights.Remove(call.FlightKey.Value, call);
        }

        if (call.HoldsSlots)
        {
            PassOnSlots(key.Caller);
        }

        // Requests that joined it while it was visible (an identical call, or its request id again from another
        // connection) were told it was accepted: the refusal is their result.
        ref readonly var subscriptions = ref call.CompletedSubscriptions;
        for (int i = 0; i < subscriptions.Count; i++)
        {
            var subscription = subscriptions[i];
            if (ReferenceEquals(subscription.Ticket, ticket))
            {
                continue;
            }

            if (subscription.Key != key && subscriptions.IsFirstOfKey(i))
            {
                Settle(subscription.Key, call, refused, subscription.Ticket.KeepsResult);
            }

            Answer(call, subscription, refused);
        }

        call.Release(); // the completion's hold
        call.Release(); // admission's hold; Submit gives the arguments back
        _metrics?.For(request.Tool.Name).Refused.Inc();
        return Counted(ticket.Answered(SubmitStatus.Refused, refused));
    }

    /// <summary>
    /// Gives back a caller's slot (and its count in <see cref="Inflight"/>), or hands both to the caller's oldest waiter
    /// and queues it in its lane. A waiter that has ended meanwhile, or finds its lane's queue full (refused), passes them
    /// on in turn.
    /// </summary>
    private void PassOnSlots(string caller)
    {
        while (_callers.PassOn(caller) is { } next)
        {
            if (!next.TryTakeSlots())
            {
                next.Release(); // it ended while waiting (its completion answered); no slot will run it
                continue;
            }

            var lane = _lanes[next.Lane];
            switch (lane.TryAdmit(next))
            {
                case LaneAdmission.Run:
                    lane.RunOnPool(next); // never inline here: this thread is finishing another call
                    return;
                case LaneAdmission.Queued:
                    return;
            }

            next.Release(); // no slot will run it
            if (!Finish(next, CallResult.Failed(ErrorCodes.OverCapacity, $"lane '{next.Lane}' queue is full ({_options.QueueDepth})", _options.OverCapacityRetryAfterSeconds), passOnSlots: false))
            {
                return; // ended a moment ago: that completion gives the slots back
            }
        }

        Interlocked.Decrement(ref _admitted);
    }

    private CallTicket Refuse(in CallRequest request, CallTicket ticket, string code, string message, double? retryAfter)
    {
        _metrics?.For(request.Tool.Name).Refused.Inc();
        return Counted(ticket.Answered(SubmitStatus.Refused, CallResult.Failed(code, message, retryAfter)));
    }

    private CallTicket Counted(CallTicket result)
    {
        _metrics?.SubmittedAs(result.Status).Inc();
        return result;
    }
}
