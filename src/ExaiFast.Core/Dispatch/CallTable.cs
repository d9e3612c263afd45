using System.Collections.Concurrent;
using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// The in-flight table and the result store in one: each key maps to its running <see cref="ToolCall"/> or, once that
/// has ended, to its <see cref="CallResult"/>, kept for the TTL and bounded in count (oldest evicted first).
/// </summary>
/// <remarks>
/// <para>One table because a call's end replaces the call by its result under the same key: a reference value is
/// updated in place, so the dictionary node the call was admitted with is the node its result is kept in (two tables
/// spent a node each per call, and a remove plus an add).</para>
/// <para>Thread-safe. <see cref="StoredCount"/> is kept with <see cref="Interlocked"/> on every transition into or out
/// of a stored result: <c>ConcurrentDictionary.Count</c> takes every lock stripe, and reading it on each add was 60% of
/// the daemon's CPU under call_tool load (lock convoys, see perf/RESULTS.md). Expiry is checked on read and swept by the
/// dispatcher's heartbeat.</para>
/// </remarks>
internal sealed class CallTable(TimeProvider time, TimeSpan ttl, int capacity)
{
    private readonly ConcurrentDictionary<CallKey, object> _entries = new();
    private readonly ConcurrentQueue<(CallKey Key, CallResult Result)> _order = new();
    private readonly long _ttlTicks = (long)(ttl.TotalSeconds * time.TimestampFrequency);
    private readonly Lock _sweepGate = new();
    private (CallKey Key, CallResult Result)? _carried;
    private int _stored;

    /// <summary>Results kept (expired ones included until swept).</summary>
    public int StoredCount => Volatile.Read(ref _stored);

    /// <summary>Keys whose call is running or queued (walks the table: for status and tests, not the call path).</summary>
    public int CallCount
    {
        get
        {
            int n = 0;
            foreach (var (_, value) in _entries)
            {
                n += value is ToolCall ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>Every key with its running or queued call (a call shared by several keys appears once per key).</summary>
    public IEnumerable<KeyValuePair<CallKey, ToolCall>> Calls
    {
        get
        {
            foreach (var (key, value) in _entries)
            {
                if (value is ToolCall call)
                {
                    yield return new KeyValuePair<CallKey, ToolCall>(key, call);
                }
            }
        }
    }

    public bool TryGetCall(CallKey key, out ToolCall call)
    {
        if (_entries.TryGetValue(key, out var value) && value is ToolCall c)
        {
            call = c;
            return true;
        }

        call = null!;
        return false;
    }

    /// <summary>The stored result of <paramref name="key"/>, unless it expired.</summary>
    public bool TryGetResult(CallKey key, out CallResult result)
    {
        if (_entries.TryGetValue(key, out var value) && value is CallResult r && r.ExpiresAt > time.GetTimestamp())
        {
            result = r;
            return true;
        }

        result = null!;
        return false;
    }

    /// <summary>
    /// Maps <paramref name="key"/> to <paramref name="call"/> — a new call, or a single-flight twin under one more key —
    /// replacing an expired result; false if a call or an unexpired result holds the key (the request then attaches or
    /// is replayed).
    /// </summary>
    public bool TryRegister(CallKey key, ToolCall call)
    {
        while (true)
        {
            if (_entries.TryAdd(key, call))
            {
                return true;
            }

            if (!_entries.TryGetValue(key, out var value))
            {
                continue; // removed meanwhile: try again
            }

            if (value is ToolCall || ((CallResult)value).ExpiresAt > time.GetTimestamp())
            {
                return false;
            }

            if (_entries.TryUpdate(key, call, value))
            {
                Interlocked.Decrement(ref _stored); // an expired result made way
                return true;
            }
        }
    }

    /// <summary>Removes <paramref name="key"/> if it still maps to <paramref name="call"/> (a call that was never admitted, or a twin that ended before the key joined it).</summary>
    public void Unregister(CallKey key, ToolCall call) => _entries.TryRemove(new KeyValuePair<CallKey, object>(key, call));

    /// <summary>
    /// Stores <paramref name="result"/> under <paramref name="key"/>: in place of <paramref name="call"/> when the key
    /// still maps to it (no new node), else as a new entry or over an older result — never over another running call,
    /// which will store its own. Evicts the oldest results beyond the capacity.
    /// </summary>
    public void StoreResult(CallKey key, ToolCall? call, CallResult result)
    {
        // A result shared by several keys (single-flight) is stamped by each, moments apart: the last stamp counts.
        result.ExpiresAt = time.GetTimestamp() + _ttlTicks;

        if (call is not null && _entries.TryUpdate(key, result, call))
        {
            Interlocked.Increment(ref _stored);
        }
        else
        {
            // TryAdd/TryUpdate rather than AddOrUpdate: no closures, and the count moves only on a real transition
            // even when a sweep removes the key between the two attempts (the loop then tries again).
            while (true)
            {
                if (_entries.TryAdd(key, result))
                {
                    Interlocked.Increment(ref _stored);
                    break;
                }

                if (!_entries.TryGetValue(key, out var existing))
                {
                    continue;
                }

                if (existing is ToolCall)
                {
                    return;
                }

                if (_entries.TryUpdate(key, result, existing))
                {
                    break; // replaced an older result: the count stays
                }
            }
        }

        _order.Enqueue((key, result));
        while (Volatile.Read(ref _stored) > capacity && _order.TryDequeue(out var oldest))
        {
            Remove(oldest.Key, oldest.Result);
        }
    }

    /// <summary>Stores a result with no call behind it (as <see cref="StoreResult"/>).</summary>
    public void Add(CallKey key, CallResult result) => StoreResult(key, null, result);

    /// <summary>Drops expired results; with <paramref name="trimTo"/>, also the oldest beyond that count (memory pressure).</summary>
    /// <remarks>
    /// Never <c>ConcurrentQueue.TryPeek</c>: peeking marks the queue's segment as observed, and an observed segment never
    /// reuses its slots, so with a sweep every heartbeat each stored result cost a slot in a new segment (measured: 89
    /// instead of 56 bytes per result). The first entry that is not due yet is dequeued and carried to the next sweep.
    /// </remarks>
    public int Sweep(int? trimTo = null)
    {
        long now = time.GetTimestamp();
        int removed = 0;
        int limit = trimTo ?? capacity;
        lock (_sweepGate)
        {
            while (_carried is { } head || _order.TryDequeue(out head))
            {
                _carried = null;
                if (head.Result.ExpiresAt > now && Volatile.Read(ref _stored) <= limit)
                {
                    _carried = head; // not due: the oldest entry waits for the next sweep
                    break;
                }

                if (Remove(head.Key, head.Result))
                {
                    removed++;
                }
            }
        }

        return removed;
    }

    private bool Remove(CallKey key, CallResult result)
    {
        // Only this exact result: a newer result or a new call under the same key stays.
        if (_entries.TryRemove(new KeyValuePair<CallKey, object>(key, result)))
        {
            Interlocked.Decrement(ref _stored);
            return true;
        }

        return false;
    }
}
