using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>One provider's concurrency limit and its bounded queue.</summary>
/// <remarks>
/// <para>A lane has <see cref="Workers"/> slots. A call that finds a slot free takes it in <see cref="TryAdmit"/> and
/// is started by the thread that admitted it: on that thread itself (<see cref="RunHere"/>: a connection's reader runs a
/// call until its first real await, with no hand-off and no thread-pool wake-up), or on the thread pool
/// (<see cref="RunOnPool"/>). When the call ends, its slot takes the next queued call, until the queue is empty; then
/// the slot is given back. A call that finds every slot taken waits in the queue; a full queue refuses at once.</para>
/// <para>Why not a fixed set of worker tasks parked on a queue (the first design): every call then paid a thread-pool
/// wake-up to reach its worker and another to come back, which on a small VM cost more than the rest of the call
/// (issue 11). The limit is as structural as before: a slot is taken and given back only under the lane's lock, in
/// exactly two places — taking (<see cref="TryTake"/>: admission, or a running call hopping in) and giving back
/// (<see cref="PassOn"/>: at the end of a call, or when its call hops out) — so there is no semaphore to leak.</para>
/// <para>A running call may move to another lane (<see cref="Dispatcher"/>'s lane hop: a fallback to another provider
/// runs in that provider's lane). It takes a slot there or waits in that lane's queue like a new call — holding no slot
/// while it waits — and gives its old slot on. The call records which lane's slot it holds (<see cref="ToolCall.Slot"/>),
/// and the end of its run gives back that one.</para>
/// </remarks>
internal sealed class Lane
{
    private readonly Lock _gate = new();
    private readonly Queue<LaneEntry> _queue;
    private readonly Func<ToolCall, Task> _run;
    private readonly Action<Exception> _fault;
    private readonly int _capacity;
    private int _busy;
    private int _queued;
    private bool _completed;
    private TaskCompletionSource? _drained;

    /// <summary>Creates the lane.</summary>
    /// <param name="name">The lane's (provider's) name.</param>
    /// <param name="workers">How many of its calls may run at once.</param>
    /// <param name="queueDepth">How many may wait beyond them.</param>
    /// <param name="run">Runs one call to its end; never throws (a bug that throws is reported to <paramref name="fault"/>).</param>
    /// <param name="fault">Told of an exception <paramref name="run"/> let out; the slot goes on regardless.</param>
    public Lane(string name, int workers, int queueDepth, Func<ToolCall, Task> run, Action<Exception> fault)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        Name = name;
        Workers = workers;
        _capacity = queueDepth;
        _run = run;
        _fault = fault;
        _queue = new Queue<LaneEntry>(Math.Min(queueDepth, 4096));
    }

    public string Name { get; }

    /// <summary>The most calls that run at once.</summary>
    public int Workers { get; }

    /// <summary>Slots taken: calls running, or about to be started by the thread that admitted them.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Calls waiting for a slot (new ones, and running ones hopping in; a cancelled one until it is dequeued).</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>
    /// Takes a slot for <paramref name="call"/> (<see cref="LaneAdmission.Run"/>: the caller must then start it with
    /// <see cref="RunHere"/> or <see cref="RunOnPool"/>), queues it, or refuses. Never waits.
    /// </summary>
    public LaneAdmission TryAdmit(ToolCall call) => TryTake(new LaneEntry(call, null));

    /// <summary>
    /// Takes a slot for a running call that moves here from another lane (<see cref="LaneAdmission.Run"/>: it holds the
    /// slot now), queues <paramref name="waiter"/> (<see cref="LaneAdmission.Queued"/>: a slot that comes free is handed
    /// to it by completing it), or refuses. Never waits. The call still holds its old lane's slot: the caller gives that on.
    /// </summary>
    public LaneAdmission TryHopIn(ToolCall call, LaneHopWaiter waiter) => TryTake(new LaneEntry(call, waiter));

    // The one place a slot is taken.
    private LaneAdmission TryTake(in LaneEntry entry)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return LaneAdmission.Full;
            }

            if (_busy < Workers)
            {
                _busy++;
                return LaneAdmission.Run;
            }

            if (_queue.Count >= _capacity)
            {
                return LaneAdmission.Full;
            }

            _queue.Enqueue(entry);
            _queued = _queue.Count;
            return LaneAdmission.Queued;
        }
    }

    /// <summary>
    /// Gives a slot on: to the next queued call (returned: the caller runs it in this slot), to the next hopping call
    /// that still waits (handed to it: null is returned), or back to the lane (null). The one place a slot is given back.
    /// </summary>
    public ToolCall? PassOn()
    {
        lock (_gate)
        {
            while (_queue.TryDequeue(out var entry))
            {
                _queued = _queue.Count;
                if (entry.Hop is null)
                {
                    return entry.Call;
                }

                if (entry.Hop.TryGrant())
                {
                    return null; // the slot is the hopping call's now (its continuation runs on the pool)
                }

                // it stopped waiting (cancelled, deadline): the slot goes on to the next
            }

            if (--_busy == 0 && _completed)
            {
                _drained?.TrySetResult();
            }

            return null;
        }
    }

    /// <summary>Starts a call that holds a slot on this thread; it runs here until its first await that does not complete at once.</summary>
    public void RunHere(ToolCall call) => _ = RunSlotAsync(call, onAdmittingThread: true);

    /// <summary>Starts a call that holds a slot on the thread pool.</summary>
    public void RunOnPool(ToolCall call) =>
        ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Lane.RunSlotAsync(s.Call, onAdmittingThread: false), (Lane: this, Call: call), preferLocal: false);

    /// <summary>Stops admitting; running calls and the queue's remains are still run. Completes when every slot is free.</summary>
    public Task CompleteAsync()
    {
        lock (_gate)
        {
            _completed = true;
            if (_busy == 0)
            {
                return Task.CompletedTask; // nothing queued either: a call waits only while every slot is taken
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>
    /// One slot's life: runs its call, then each queued call in turn, and gives the slot back when none waits. A call that
    /// hopped to another lane ends holding that lane's slot (or none, if it stopped while waiting for one): the loop then
    /// goes on with that lane's slot, whose give-back is this call's to do.
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
                return; // it hopped out and stopped while waiting for a slot elsewhere: it holds none
            }

            var next = lane.PassOn();
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
