namespace ExaiFast.Core.Dispatch;

/// <summary>
/// A bounded FIFO drained by a fixed set of workers, with no allocation per item: an idle worker parks on its own
/// <see cref="ParkedWorker{T}"/>, and a new item goes straight to the most recently parked one (its caches are warm).
/// </summary>
/// <remarks>
/// Why not <c>Channel&lt;T&gt;</c>: a multi-reader bounded channel gives only one parked reader a reusable operation
/// and allocates one for every other reader that parks — with 8 workers, about one object per call (measured with
/// <c>scripts/bench.sh call-alloc</c>). The semantics here are the channel's as the lane used it: <see cref="TryWrite"/>
/// never waits (full means refused), continuations never run on the writer, and after <see cref="Complete"/> the
/// workers drain what is queued and then read null. The lock is held for a few instructions per item.
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class WorkQueue<T>
    where T : class
{
    private readonly Lock _gate = new();
    private readonly Queue<T> _items;
    private readonly ParkedWorker<T>[] _parked;
    private readonly int _capacity;
    private int _parkedCount;
    private int _count;
    private bool _completed;

    /// <summary>Creates the queue for <paramref name="workers"/> readers and at most <paramref name="capacity"/> waiting items.</summary>
    public WorkQueue(int capacity, int workers)
    {
        _capacity = capacity;
        _items = new Queue<T>(Math.Min(capacity, 4096));
        _parked = new ParkedWorker<T>[workers];
    }

    /// <summary>Items waiting (not yet handed to a worker).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Workers parked waiting for an item.</summary>
    public int Parked
    {
        get
        {
            lock (_gate)
            {
                return _parkedCount;
            }
        }
    }

    /// <summary>Hands <paramref name="item"/> to an idle worker or queues it; false if full or completed. Never waits.</summary>
    public bool TryWrite(T item)
    {
        ParkedWorker<T> worker;
        lock (_gate)
        {
            if (_completed)
            {
                return false;
            }

            if (_parkedCount == 0)
            {
                if (_items.Count >= _capacity)
                {
                    return false;
                }

                _items.Enqueue(item);
                _count = _items.Count;
                return true;
            }

            worker = _parked[--_parkedCount];
            _parked[_parkedCount] = null!;
        }

        worker.Wake(item);
        return true;
    }

    /// <summary>The next item for <paramref name="worker"/>, at once if one waits; null once completed and drained.</summary>
    public ValueTask<T?> ReadAsync(ParkedWorker<T> worker)
    {
        lock (_gate)
        {
            if (_items.TryDequeue(out var item))
            {
                _count = _items.Count;
                return new ValueTask<T?>(item);
            }

            if (_completed)
            {
                return new ValueTask<T?>((T?)null);
            }

            _parked[_parkedCount++] = worker;
            return worker.Wait();
        }
    }

    /// <summary>Stops accepting items; parked workers wake with null, the others drain the queue first.</summary>
    public void Complete()
    {
        ParkedWorker<T>[] parked;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            parked = _parked[.._parkedCount];
            Array.Clear(_parked);
            _parkedCount = 0;
        }

        foreach (var worker in parked)
        {
            worker.Wake(null);
        }
    }
}
