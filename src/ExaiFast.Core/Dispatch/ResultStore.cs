using System.Collections.Concurrent;
using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>Finished results by key, kept for the TTL and bounded in count (oldest evicted first).</summary>
/// <remarks>
/// Thread-safe. Expiry is swept by the dispatcher's heartbeat and checked on read. The count is kept with
/// <see cref="Interlocked"/>: <c>ConcurrentDictionary.Count</c> takes every lock stripe, and reading it on each add
/// was 60% of the daemon's CPU under call_tool load (lock convoys in Monitor.Enter, see perf/RESULTS.md).
/// </remarks>
internal sealed class ResultStore(TimeProvider time, TimeSpan ttl, int capacity)
{
    private readonly ConcurrentDictionary<CallKey, Entry> _entries = new();
    private readonly ConcurrentQueue<(CallKey Key, Entry Entry)> _order = new();
    private readonly long _ttlTicks = (long)(ttl.TotalSeconds * time.TimestampFrequency);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Add(CallKey key, CallResult result)
    {
        var entry = new Entry(result, time.GetTimestamp() + _ttlTicks);

        // TryAdd/TryUpdate rather than AddOrUpdate: no closures, and the count moves only on a real add even when a
        // sweep removes the key between the two attempts (the loop then adds it again).
        while (true)
        {
            if (_entries.TryAdd(key, entry))
            {
                Interlocked.Increment(ref _count);
                break;
            }

            if (_entries.TryGetValue(key, out var existing) && _entries.TryUpdate(key, entry, existing))
            {
                break;
            }
        }

        _order.Enqueue((key, entry));
        while (Volatile.Read(ref _count) > capacity && _order.TryDequeue(out var oldest))
        {
            Remove(oldest.Key, oldest.Entry);
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
        while (_order.TryPeek(out var head) && (head.Entry.ExpiresAt <= now || Volatile.Read(ref _count) > limit))
        {
            if (_order.TryDequeue(out head) && Remove(head.Key, head.Entry))
            {
                removed++;
            }
        }

        return removed;
    }

    private bool Remove(CallKey key, Entry entry)
    {
        // Only the exact entry: a newer result stored under the same key stays.
        if (_entries.TryRemove(new KeyValuePair<CallKey, Entry>(key, entry)))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    /// <summary>A struct (no object per stored result); equal only to itself, so removal takes exactly this entry.</summary>
    private readonly struct Entry(CallResult result, long expiresAt) : IEquatable<Entry>
    {
        public CallResult Result { get; } = result;

        public long ExpiresAt { get; } = expiresAt;

        public bool Equals(Entry other) => ReferenceEquals(Result, other.Result) && ExpiresAt == other.ExpiresAt;

        public override bool Equals(object? obj) => obj is Entry other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Result), ExpiresAt);
    }
}
