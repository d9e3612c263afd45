using System.Collections.Concurrent;

namespace ExaiFast.Core.Dispatch;

/// <summary>Calls in flight per session, against the per-session limit. An entry exists only while its count is above 0.</summary>
/// <remarks>A lock per session object (taken twice per call, never on the frame path) keeps add and remove-at-zero exact.</remarks>
internal sealed class SessionLoad
{
    private readonly ConcurrentDictionary<string, Counter> _sessions = new(StringComparer.Ordinal);

    public int Sessions => _sessions.Count;

    public bool TryAcquire(string sessionId, int max)
    {
        while (true)
        {
            var counter = _sessions.GetOrAdd(sessionId, static _ => new Counter());
            lock (counter)
            {
                if (counter.Removed)
                {
                    continue; // lost a race with the release that emptied it: take a fresh one
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
        if (!_sessions.TryGetValue(sessionId, out var counter))
        {
            return;
        }

        lock (counter)
        {
            if (--counter.Count == 0)
            {
                counter.Removed = true;
                _sessions.TryRemove(new KeyValuePair<string, Counter>(sessionId, counter));
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
