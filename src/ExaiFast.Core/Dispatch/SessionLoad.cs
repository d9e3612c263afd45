using System.Collections.Concurrent;

namespace ExaiFast.Core.Dispatch;

/// <summary>Calls in flight per session, against the per-session limit, and the calls waiting for a slot of their session.</summary>
/// <remarks>
/// <para>A lock per session object (taken twice per call, never on the frame path) keeps the count exact. Counters that
/// drop to zero stay until <see cref="Sweep"/> (the dispatcher's heartbeat) removes them: a session that makes one
/// call at a time would otherwise create and delete a counter and a dictionary node on every call.</para>
/// <para>Waiting is for front doors whose clients do not retry (MCP): a call beyond the limit joins its session's FIFO,
/// and <see cref="Release"/> hands the freed slot straight to the oldest waiter instead of freeing it. Waiters exist only
/// while the session is at its limit, so some running call of the session will always release a slot for them.</para>
/// </remarks>
internal sealed class SessionLoad
{
    private readonly ConcurrentDictionary<string, Counter> _sessions = new(StringComparer.Ordinal);
    private int _waiting;

    /// <summary>Sessions with at least one call in flight.</summary>
    public int Sessions
    {
        get
        {
            int n = 0;
            foreach (var (_, counter) in _sessions)
            {
                n += Volatile.Read(ref counter.Count) > 0 ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>Calls waiting for a slot of their session, all sessions together.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public bool TryAcquire(string sessionId, int max)
    {
        while (true)
        {
            var counter = _sessions.GetOrAdd(sessionId, static _ => new Counter());
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
    /// Takes a slot if one is free now, else queues <paramref name="call"/> behind the session's other waiters (at most
    /// <paramref name="depth"/>) unless it has already ended. Atomic with <see cref="Release"/> and
    /// <see cref="RemoveWaiter"/>, so a slot freed meanwhile is never missed and an ended call never stays queued.
    /// </summary>
    public SessionAdmission AcquireOrWait(string sessionId, int max, int depth, ToolCall call)
    {
        while (true)
        {
            var counter = _sessions.GetOrAdd(sessionId, static _ => new Counter());
            lock (counter)
            {
                if (counter.Removed)
                {
                    continue;
                }

                if (counter.Count < max)
                {
                    counter.Count++;
                    return SessionAdmission.Acquired;
                }

                if (call.IsCompleted)
                {
                    // Ended while being set up: queued, it would hold a place (and its worker hold) until popped. Its
                    // completion found no node to remove, and under this lock none can be added after this check.
                    return SessionAdmission.Ended;
                }

                var waiters = counter.Waiters ??= new LinkedList<ToolCall>();
                if (waiters.Count >= depth)
                {
                    return SessionAdmission.Full;
                }

                call.WaitNode = waiters.AddLast(call);
                Interlocked.Increment(ref _waiting);
                return SessionAdmission.Waiting;
            }
        }
    }

    /// <summary>Frees a slot, or hands it to the session's oldest waiter and returns that call (the slot is then its own).</summary>
    public ToolCall? Release(string sessionId)
    {
        if (!_sessions.TryGetValue(sessionId, out var counter))
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

    /// <summary>Takes a waiter out of its queue (it ended while waiting); false if <see cref="Release"/> already handed it a slot.</summary>
    public bool RemoveWaiter(string sessionId, ToolCall call)
    {
        if (!_sessions.TryGetValue(sessionId, out var counter))
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

    /// <summary>Removes the counters of sessions with nothing in flight (and so nothing waiting).</summary>
    public void Sweep()
    {
        foreach (var (sessionId, counter) in _sessions)
        {
            lock (counter)
            {
                if (counter.Count == 0)
                {
                    counter.Removed = true;
                    _sessions.TryRemove(new KeyValuePair<string, Counter>(sessionId, counter));
                }
            }
        }
    }

    public int CountOf(string sessionId) => _sessions.TryGetValue(sessionId, out var c) ? c.Count : 0;

    private sealed class Counter
    {
        public int Count;
        public bool Removed;
        public LinkedList<ToolCall>? Waiters;
    }
}
