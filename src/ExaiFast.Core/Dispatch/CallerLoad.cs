using System.Collections.Concurrent;

namespace ExaiFast.Core.Dispatch;

/// <summary>Calls in flight per caller, against the per-caller limit, and the calls waiting for a slot of their caller.</summary>
/// <remarks>
/// <para>A lock per caller object (taken twice per call, never on the frame path) keeps the count exact. Counters that
/// drop to zero stay until <see cref="Sweep"/> (the dispatcher's heartbeat) removes them: a caller that makes one
/// call at a time would otherwise create and delete a counter and a dictionary node on every call.</para>
/// <para>Waiting is for front doors whose clients do not retry (MCP): a call beyond the limit joins its caller's FIFO,
/// and <see cref="PassOn"/> hands the freed slot straight to the oldest waiter instead of freeing it. Waiters exist only
/// while the caller is at its limit, so some running call of the caller will always pass a slot on to them.</para>
/// </remarks>
internal sealed class CallerLoad
{
    private readonly ConcurrentDictionary<string, Counter> _callers = new(StringComparer.Ordinal);
    private int _waiting;

    /// <summary>Callers with at least one call in flight.</summary>
    public int Callers
    {
        get
        {
            int n = 0;
            foreach (var (_, counter) in _callers)
            {
                n += Volatile.Read(ref counter.Count) > 0 ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>Calls waiting for a slot of their caller, all callers together.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public bool TryAcquire(string caller, int max)
    {
        while (true)
        {
            var counter = _callers.GetOrAdd(caller, static _ => new Counter());
            lock (counter)
            {
                if (counter.Removed)
                {
                    continue; // lost a race with the sweep that removed it: take a fresh one
                }

                if (counter.Count >= max)
                {
                    return false;
                }

                counter.Count++;
                return true;
            }
        }
    }

    /// <summary>
    /// Takes a slot if one is free now, else queues <paramref name="call"/> behind the caller's other waiters (at most
    /// <paramref name="depth"/>) unless it has already ended. Atomic with <see cref="PassOn"/> and
    /// <see cref="RemoveWaiter"/>, so a slot freed meanwhile is never missed and an ended call never stays queued.
    /// </summary>
    public CallerAdmission AcquireOrWait(string caller, int max, int depth, ToolCall call)
    {
        while (true)
        {
            var counter = _callers.GetOrAdd(caller, static _ => new Counter());
            lock (counter)
            {
                if (counter.Removed)
                {
                    continue;
                }

                if (counter.Count < max)
                {
                    counter.Count++;
                    return CallerAdmission.Acquired;
                }

                if (call.IsCompleted)
                {
                    // Ended while being set up: queued, it would hold a place (and its worker hold) until popped. Its
                    // completion found no node to remove, and under this lock none can be added after this check.
                    return CallerAdmission.Ended;
                }

                var waiters = counter.Waiters ??= new LinkedList<ToolCall>();
                if (waiters.Count >= depth)
                {
                    return CallerAdmission.Full;
                }

                call.WaitNode = waiters.AddLast(call);
                Interlocked.Increment(ref _waiting);
                return CallerAdmission.Waiting;
            }
        }
    }

    /// <summary>Frees a slot, or hands it to the caller's oldest waiter and returns that call (the slot is then its own).</summary>
    public ToolCall? PassOn(string caller)
    {
        if (!_callers.TryGetValue(caller, out var counter))
        {
            return null;
        }

        lock (counter)
        {
            if (counter.Waiters?.First is { } first)
            {
                counter.Waiters.RemoveFirst();
                first.Value.WaitNode = null;
                Interlocked.Decrement(ref _waiting);
                return first.Value;
            }

            counter.Count--;
            return null;
        }
    }

    /// <summary>Takes a waiter out of its queue (it ended while waiting); false if <see cref="PassOn"/> already handed it a slot.</summary>
    public bool RemoveWaiter(string caller, ToolCall call)
    {
        if (!_callers.TryGetValue(caller, out var counter))
        {
            return false;
        }

        lock (counter)
        {
            if (call.WaitNode is not { } node)
            {
                return false;
            }

            counter.Waiters!.Remove(node);
            call.WaitNode = null;
            Interlocked.Decrement(ref _waiting);
            return true;
        }
    }

    /// <summary>Removes the counters of callers with nothing in flight (and so nothing waiting).</summary>
    public void Sweep()
    {
        foreach (var (caller, counter) in _callers)
        {
            lock (counter)
            {
                if (counter.Count == 0)
                {
                    counter.Removed = true;
                    _callers.TryRemove(new KeyValuePair<string, Counter>(caller, counter));
                }
            }
        }
    }

    public int CountOf(string caller) => _callers.TryGetValue(caller, out var c) ? c.Count : 0;

    private sealed class Counter
    {
        public int Count;
        public bool Removed;
        public LinkedList<ToolCall>? Waiters;
    }
}
