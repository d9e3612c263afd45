namespace ExaiFast.Core.Dispatch;

/// <summary>One provider's concurrency limit and its bounded queue.</summary>
/// <remarks>
/// <para>A lane has <see cref="Slots"/> slots. A call that finds a slot free — and a running slot of the global limit
/// (<see cref="RunningLimit"/>) — takes both in <see cref="TryAdmit"/> and is started by the thread that admitted it: on
/// that thread itself (<see cref="RunHere"/>: a connection's reader runs a call until its first real await, with no
/// hand-off and no thread-pool wake-up), or on the thread pool (<see cref="RunOnPool"/>). When the call ends, its slots
/// take the next queued call, until the queue is empty; then they are given back. A call that finds every slot taken,
/// or the global limit reached, waits in the queue; a full queue refuses at once.</para>
/// <para>Why not a fixed set of worker tasks parked on a queue (the first design): every call then paid a thread-pool
/// wake-up to reach its worker and another to come back, which on a small VM cost more than the rest of the call.
/// The limit is as structural as before: a slot is taken only under the lane's lock — on admission
/// (<see cref="TryAdmit"/>), by a running call hopping in (<see cref="TryHopIn"/>), or with a running slot handed to
/// the lane's oldest waiting call — and given back in exactly one place (<see cref="PassOn"/>: at the end of a call, or
/// when its call hops out), so there is no semaphore to leak.</para>
/// <para>A running call may move to another lane (<see cref="Dispatcher"/>'s lane hop: a fallback to another provider
/// runs in that provider's lane). It takes a slot there or waits in that lane's queue — holding no lane slot while it
/// waits — and gives its old slot on; it keeps its running slot throughout, so a hop waits only for a lane slot, and
/// goes before new calls (it is part-way through, and what it holds is freed only when it ends). The call records which
/// lane's slot it holds (<see cref="ToolCall.Slot"/>), and the end of its run gives back that one.</para>
/// </remarks>
internal sealed class Lane
{
    private readonly Lock _gate = new();
    private readonly Queue<ToolCall> _calls;
    private readonly Queue<LaneHopWaiter> _hops = new();
    private readonly RunningLimit _limit;
    private readonly Func<ToolCall, Task> _run;
    private readonly Action<Exception> _fault;
    private readonly int _capacity;
    private int _busy;
    private int _queued;
    private int _ended;
    private bool _completed;
    private TaskCompletionSource? _drained;

    /// <summary>Creates the lane.</summary>
    /// <param name="name">The lane's (provider's) name.</param>
    /// <param name="slots">How many of its calls may run at once.</param>
    /// <param name="queueDepth">How many may wait beyond them.</param>
    /// <param name="limit">The global limit on running calls, shared by every lane.</param>
    /// <param name="run">Runs one call to its end; never throws (a bug that throws is reported to <paramref name="fault"/>).</param>
    /// <param name="fault">Told of an exception <paramref name="run"/> let out; the slot goes on regardless.</param>
    public Lane(string name, int slots, int queueDepth, RunningLimit limit, Func<ToolCall, Task> run, Action<Exception> fault)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        Name = name;
        Slots = slots;
        _capacity = queueDepth;
        _limit = limit;
        _run = run;
        _fault = fault;
        _calls = new Queue<ToolCall>(Math.Min(queueDepth, 4096));
    }

    public string Name { get; }

    /// <summary>The most calls that run at once.</summary>
    public int Slots { get; }

    /// <summary>Slots taken: calls running, or about to be started by the thread that admitted them.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Calls waiting for a slot (new ones, and running ones hopping in; not those that ended while they waited).</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Whether the lane is in <see cref="RunningLimit"/>'s queue of lanes (guarded by that limit's lock).</summary>
    internal bool WaitsForRunningSlot { get; set; }

    /// <summary>
    /// Takes a slot and a running slot for <paramref name="call"/> (<see cref="LaneAdmission.Run"/>: the caller must then
    /// start it with <see cref="RunHere"/> or <see cref="RunOnPool"/>), queues it behind the calls already waiting, or
    /// refuses. Never waits.
    /// </summary>
    public LaneAdmission TryAdmit(ToolCall call)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return LaneAdmission.Full;
            }

            // Only with nobody queued: a call that waits for a running slot is not overtaken by a newer one.
            if (_calls.Count == 0 && _busy < Slots && _limit.TryTakeOrWait(this))
            {
                _busy++;
                return LaneAdmission.Run;
            }

            if (_ended > 0 && _calls.Count >= _capacity)
            {
                DropEnded(); // the queue holds no more entries than its capacity, ended ones included
            }

            if (QueueCount >= _capacity)
            {
                return LaneAdmission.Full;
            }

            _calls.Enqueue(call);
            call.QueuedIn = this;
            if (call.IsCompleted)
            {
                // Its deadline or a cancel completed it between arming and this enqueue: Forget found it in no queue.
                call.EndedInQueue = true;
                _ended++;
            }

            _queued = QueueCount;
            return LaneAdmission.Queued;
        }
    }

    /// <summary>
    /// Takes a slot for a running call that moves here from another lane, or for a request a running call makes on the
    /// side (<see cref="LaneAdmission.Run"/>: it holds the slot now), queues <paramref name="waiter"/>
    /// (<see cref="LaneAdmission.Queued"/>: a slot that comes free is handed to it by completing it), or refuses. Never
    /// waits. The call keeps its running slot and still holds its old lane's slot: the caller gives that on.
    /// </summary>
    public LaneAdmission TryHopIn(LaneHopWaiter waiter)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return LaneAdmission.Full;
            }

            if (_busy < Slots)
            {
                _busy++;
                return LaneAdmission.Run;
            }

            if (QueueCount >= _capacity)
            {
                return LaneAdmission.Full;
            }

            _hops.Enqueue(waiter);
            _queued = QueueCount;
            return LaneAdmission.Queued;
        }
    }

    /// <summary>
    /// Gives a slot on: to the next hopping call that still waits (handed to it), else to the next queued call (returned:
    /// the caller runs it in this slot), else back to the lane. The one place a slot is given back.
    /// </summary>
    /// <param name="withRunningSlot">Whether the running slot of a call that ended comes with it (a new call takes both);
    /// false for a slot a call hopped out of or borrowed, whose call keeps its running slot (a new call then needs one of
    /// its own).</param>
    /// <returns>The call to run in this slot, and whether the caller must give the running slot it brought back to the
    /// limit (<see cref="PassOnRunningSlot"/>): no queued call took it.</returns>
    public (ToolCall? Next, bool RunningSlotFree) PassOn(bool withRunningSlot)
    {
        lock (_gate)
        {
            while (_hops.TryDequeue(out var hop))
            {
                _queued = QueueCount;
                if (hop.TryGrant())
                {
                    return (null, withRunningSlot); // the slot is the hopping call's now (its continuation runs on the pool)
                }

                // it stopped waiting (cancelled, deadline): the slot goes on to the next
            }

            if (_calls.Count > 0)
            {
                // A call that ended hands its running slot to the next call of its lane, unless other lanes wait for
                // one: then it goes to the lane that has waited longest, and this lane waits its turn behind them (else
                // a busy lane would keep every running slot, and another lane's calls would wait out their deadlines).
                if (withRunningSlot ? !_limit.HasWaiting : _limit.TryTakeOrWait(this))
                {
                    var next = Dequeue();
                    _queued = QueueCount;
                    return (next, false);
                }

                if (withRunningSlot)
                {
                    _limit.Wait(this);
                }
            }

            _busy--;
            SignalIfDrained();
            return (null, withRunningSlot);
        }
    }

    /// <summary>
    /// Gives a running slot that no call of its lane took to a lane whose calls wait for one (its oldest call starts on
    /// the pool), or back to the limit. Call holding no lane's lock.
    /// </summary>
    public void PassOnRunningSlot()
    {
        while (_limit.PassOn() is { } waiting)
        {
            if (waiting.TryStartWithRunningSlot())
            {
                return;
            }

            // that lane no longer has a call waiting with a free slot: the running slot goes on to the next lane
        }
    }

    /// <summary>Starts a call that holds a slot on this thread; it runs here until its first await that does not complete at once.</summary>
    public void RunHere(ToolCall call) => _ = RunSlotAsync(call, onAdmittingThread: true);

    /// <summary>Starts a call that holds a slot on the thread pool.</summary>
    public void RunOnPool(ToolCall call) =>
        ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Lane.RunSlotAsync(s.Call, onAdmittingThread: false), (Lane: this, Call: call), preferLocal: false);

    /// <summary>Stops admitting; running calls and the queue's remains are still run. Completes when every slot is free and nothing waits.</summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            _completed = true;
            if (_busy == 0 && Entries == 0)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>
    /// A queued call ended (cancelled, or its deadline) before a slot took it. It stays in the queue until a slot passes
    /// it over (a Queue cannot drop from its middle), but no longer counts as waiting, nor against the
    /// queue's capacity: calls that gave up waiting must not make a live one be refused as if the queue were full.
    /// </summary>
    public void Forget(ToolCall call)
    {
        lock (_gate)
        {
            if (call.QueuedIn == this && !call.EndedInQueue)
            {
                call.EndedInQueue = true;
                _ended++;
                _queued = QueueCount;
            }
        }
    }

    /// <summary>Calls that wait here and have not ended: what the capacity and <see cref="Queued"/> count.</summary>
    private int QueueCount => _calls.Count - _ended + _hops.Count;

    /// <summary>Entries still in the queues, ended or not: a drain is over only when slots have passed over them all.</summary>
    internal int Entries => _calls.Count + _hops.Count;

    /// <summary>
    /// Takes the calls that ended while queued out of the queue, keeping the others' order, and lets go of the hold each
    /// kept for the slot that would have passed it over. Under the lock; only when ended entries fill the queue.
    /// </summary>
    private void DropEnded()
    {
        for (int i = _calls.Count; i > 0; i--)
        {
            var call = _calls.Dequeue();
            if (!call.EndedInQueue)
            {
                _calls.Enqueue(call);
                continue;
            }

            call.QueuedIn = null;
            _ended--;
            call.Release(); // the slot's hold (what RunAsync lets go of for a call it finds ended)
        }
    }

    private ToolCall Dequeue()
    {
        var call = _calls.Dequeue();
        call.QueuedIn = null;
        if (call.EndedInQueue)
        {
            _ended--;
        }

        return call;
    }

    private void SignalIfDrained()
    {
        if (_busy == 0 && Entries == 0 && _completed)
        {
            _drained?.TrySetResult();
        }
    }

    /// <summary>
    /// Handed a running slot: starts the oldest queued call with it if a lane slot is free (then the next ones too, while
    /// running slots last). False, keeping nothing, when no call waits here with a free slot: the caller passes it on.
    /// </summary>
    private bool TryStartWithRunningSlot()
    {
        List<ToolCall>? starts = null;
        lock (_gate)
        {
            if (_calls.Count == 0 || _busy >= Slots)
            {
                return false;
            }

            do
            {
                _busy++;
                (starts ??= []).Add(Dequeue());
            }
            while (_calls.Count > 0 && _busy < Slots && _limit.TryTakeOrWait(this));

            _queued = QueueCount;
        }

        foreach (var call in starts)
        {
            RunOnPool(call); // never on this thread: it is ending another call
        }

        return true;
    }

    /// <summary>
    /// One slot's life: runs its call, then each queued call in turn, and gives the slot back when none waits. A call that
    /// hopped to another lane ends holding that lane's slot (or none, if it stopped while waiting for one): the loop then
    /// goes on with that lane's slot, whose give-back is this call's to do. The call's running slot goes with the lane
    /// slot to the next call, or back to the limit.
    /// </summary>
    private async Task RunSlotAsync(ToolCall call, bool onAdmittingThread)
    {
        var lane = this;
        while (true)
        {
            call.Slot = lane;
            try
            {
                var running = lane._run(call);
                if (!running.IsCompleted)
                {
                    onAdmittingThread = false; // it continues on whatever thread completes the await
                }

                await running.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                lane._fault(ex);
            }

            // Written only by the call's own flow (admission, its hops), which has ended: no race with a reader.
            lane = call.Slot;
            call.Slot = null;
            if (lane is null)
            {
                // It hopped out and stopped while waiting for a slot elsewhere: it holds no lane slot, only its running slot.
                PassOnRunningSlot();
                return;
            }

            var (next, runningSlotFree) = lane.PassOn(withRunningSlot: true);
            if (runningSlotFree)
            {
                lane.PassOnRunningSlot();
            }

            if (next is null)
            {
                return;
            }

            if (onAdmittingThread)
            {
                // Queued work is not run on a connection's reader: it belongs to other callers, and the reader has its
                // own connection to serve. The slot moves to the thread pool with it.
                lane.RunOnPool(next);
                return;
            }

            call = next;
        }
    }
}
