using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Server.Metrics;

namespace ExaiFast.Server.Connections;

/// <summary>
/// The daemon-wide bound on the bytes of big inbound messages (over <see cref="SmallMessageBytes"/>: WebSocket messages,
/// HTTP bodies, stdio lines) being assembled, parsed or read by their call. A message that does not fit
/// waits, first come first served, while its connection reads nothing more (TCP or pipe back-pressure holds the peer);
/// small messages never take part, so they are never queued behind big ones.
/// </summary>
/// <remarks>
/// <para>A big message is assembled in an array of exactly its reserved size, allocated for it rather than rented:
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/> keeps arrays of these sizes in per-core stacks and trims them only
/// after minutes of gen2 collections, which is how a burst of 30 MiB prompts used to stay resident for good. So the
/// array's length is the reservation, and <see cref="Release(byte[])"/> of the array (payload returned, or the call that read
/// it in place ended) gives the bytes back and lets the GC have the array.</para>
/// <para>Big messages are rare, so one lock guards the count and the queue. Thread-safe.</para>
/// </remarks>
internal sealed class InboundBudget : IPayloadOwner
{
    /// <summary>Messages up to this size bypass the budget and use pooled buffers.</summary>
    public const int SmallMessageBytes = 1 << 20;

    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly ServerMetrics _metrics;
    private readonly InboundActivity _activity;
    private long _used;

    /// <param name="capacity">Bytes the big messages may hold at once.</param>
    /// <param name="metrics">Where the budget and its use are shown.</param>
    /// <param name="activity">The daemon's count of the bytes its budgets hold, which its memory monitor reads; one of
    /// this budget's own if null.</param>
    public InboundBudget(long capacity, ServerMetrics metrics, InboundActivity? activity = null)
    {
        Capacity = capacity;
        _metrics = metrics;
        _activity = activity ?? new InboundActivity();
        _metrics.InboundBudget.Set(capacity);
    }

    public long Capacity { get; }

    /// <summary>Bytes reserved now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves <paramref name="bytes"/> at once if they fit and nobody waits; otherwise queues a waiter,
    /// returned in <paramref name="waiter"/>, whose task says whether the bytes were granted.</summary>
    public bool TryReserve(long bytes, out Waiter? waiter)
    {
        lock (_gate)
        {
            if (_waiters.Count == 0 && _used + bytes <= Capacity)
            {
                Add(bytes);
                waiter = null;
                return true;
            }

            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
        }

        _metrics.InboundBudgetWaits.Inc();
        return false;
    }

    /// <summary>Gives up a wait (connection closing, wait too long). False when the bytes were granted first: the caller
    /// then holds them and must release them.</summary>
    public bool Cancel(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is null)
            {
                return false;
            }

            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            GrantWaiters(); // the head may have been the one that did not fit
        }

        waiter.Complete(false);
        return true;
    }

    /// <summary>Gives back bytes reserved and not turned into a payload (a message that failed or was cut off).</summary>
    public void Release(long bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        lock (_gate)
        {
            Add(-bytes);
            GrantWaiters();
        }
    }

    /// <summary>A big message's payload array is no longer read: its reservation (its length) comes back.</summary>
    public void Release(byte[] array) => Release(array.LongLength);

    /// <summary>A big message's document and payload are no longer read: the document is disposed off the shared pool's
    /// per-thread slots (see <see cref="BigMessageJson"/>), then the array's reservation comes back.</summary>
    public void Release(byte[] array, System.Text.Json.JsonDocument document) => BigMessageJson.DisposeThen(document, () => Release(array));

    // First come, first served: a waiter that does not fit stops the queue, so a big message is not starved by a stream
    // of smaller (but still budgeted) ones behind it. Under the lock.
    private void GrantWaiters()
    {
        while (_waiters.First is { } first && _used + first.Value.Bytes <= Capacity)
        {
            _waiters.RemoveFirst();
            first.Value.Node = null;
            Add(first.Value.Bytes);
            first.Value.Complete(true); // continuations run asynchronously: nothing runs under the lock
        }
    }

    private void Add(long bytes)
    {
        _used += bytes;
        _metrics.InboundBytesInFlight.Set(_used);
        _activity.Add(bytes);
    }

    /// <summary>One message waiting for budget.</summary>
    internal sealed class Waiter(long bytes)
    {
        private readonly TaskCompletionSource<bool> _granted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Bytes { get; } = bytes;

        /// <summary>True once granted; false if cancelled.</summary>
        public Task<bool> Granted => _granted.Task;

        internal LinkedListNode<Waiter>? Node { get; set; }

        internal void Complete(bool granted) => _granted.TrySetResult(granted);
    }
}
