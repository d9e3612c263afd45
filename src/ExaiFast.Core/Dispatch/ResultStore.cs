using System.Collections.Concurrent;
using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>Finished results by key, kept for the TTL and bounded in count (oldest evicted first).</summary>
/// <remarks>Thread-safe. Expiry is swept by the dispatcher's heartbeat and checked on read.</remarks>
internal sealed class ResultStore(TimeProvider time, TimeSpan ttl, int capacity)
{
    private readonly ConcurrentDictionary<CallKey, Entry> _entries = new();
    private readonly ConcurrentQueue<(CallKey Key, Entry Entry)> _order = new();
    private readonly long _ttlTicks = (long)(ttl.TotalSeconds * time.TimestampFrequency);

    public int Count => _entries.Count;

    public void Add(CallKey key, CallResult result)
    {
        var entry = new Entry(result, time.GetTimestamp() + _ttlTicks);
        _entries[key] = entry;
        _order.Enqueue((key, entry));
        while (_entries.Count > capacity && _order.TryDequeue(out var oldest))
        {
            _entries.TryRemove(new KeyValuePair<CallKey, Entry>(oldest.Key, oldest.Entry));
        }
    }

    public bool TryGet(CallKey key, out CallResult result)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > time.GetTimestamp())
        {
            result = entry.Result;
            return true;
        }

        result = null!;
        return false;
    }

    /// <summary>Drops expired entries; with <paramref name="trimTo"/>, also the oldest beyond that count (memory pressure).</summary>
    public int Sweep(int? trimTo = null)
    {
        long now = time.GetTimestamp();
        int removed = 0;
        int limit = trimTo ?? capacity;
        while (_order.TryPeek(out var head) && (head.Entry.ExpiresAt <= now || _entries.Count > limit))
        {
            if (_order.TryDequeue(out head) && _entries.TryRemove(new KeyValuePair<CallKey, Entry>(head.Key, head.Entry)))
            {
                removed++;
            }
        }

        return removed;
    }

    private sealed record Entry(CallResult Result, long ExpiresAt);
}
