using System.Collections.Concurrent;

namespace ExaiFast.Core.Dispatch;

/// <summary>Calls in flight per session, against the per-session limit.</summary>
/// <remarks>
/// A lock per session object (taken twice per call, never on the frame path) keeps the count exact. Counters that
/// drop to zero stay until <see cref="Sweep"/> (the dispatcher's heartbeat) removes them: a session that makes one
/// call at a time would otherwise create and delete a counter and a dictionary node on every call.
/// </remarks>
internal sealed class SessionLoad
{
    private readonly ConcurrentDictionary<string, Counter> _sessions = new(StringComparer.Ordinal);

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

    public void Release(string sessionId)
    {
        if (_sessions.TryGetValue(sessionId, out var counter))
        {
            lock (counter)
            {
                counter.Count--;
            }
        }
    }

    /// <summary>Removes the counters of sessions with nothing in flight.</summary>
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
    }
}
