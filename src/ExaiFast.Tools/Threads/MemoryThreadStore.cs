using System.Collections.Concurrent;
using ExaiFast.Core.Dispatch;

namespace ExaiFast.Tools.Threads;

/// <summary>
/// Threads in this process: bounded in threads and bytes (the least recently used go first), expired by TTL, and trimmed
/// when the memory monitor reports pressure. The default store; lost when the daemon stops.
/// </summary>
/// <remarks>
/// <para>A thread's turns are an immutable array replaced under the thread's own lock, so an append is atomic and a
/// reader takes a snapshot without locking. The table itself is a <see cref="ConcurrentDictionary{TKey,TValue}"/>; the
/// byte and thread counts are kept with <see cref="Interlocked"/>.</para>
/// <para>Eviction runs only when a limit is passed, and then trims to 90% of it in one scan sorted by last use, so a full
/// store (the steady state of a busy daemon: every chat call opens a thread) pays one scan per tenth of its size in new
/// threads. The count is kept apart from the dictionary, whose own <c>Count</c> takes every one of its locks: read per
/// new thread and per eviction, it once cost a busy daemon an eighth of its CPU.</para>
/// </remarks>
public sealed class MemoryThreadStore : IThreadStore, IMemoryPressureListener
{
    private readonly ConcurrentDictionary<Guid, Entry> _threads = new();
    private readonly TimeProvider _time;
    private readonly long _ttlTicks;
    private long _bytes;

    /// <summary>A store keeping <paramref name="options"/>' limits, on <paramref name="time"/>'s clock.</summary>
    public MemoryThreadStore(ThreadStoreOptions options, TimeProvider? time = null)
    {
        Options = options;
        _time = time ?? TimeProvider.System;
        _ttlTicks = (long)(options.Ttl.TotalSeconds * _time.TimestampFrequency);
    }

    /// <inheritdoc />
    public string Kind => "memory";

    /// <inheritdoc />
    public ThreadStoreOptions Options { get; }

    /// <summary>Threads held (expired ones included until swept).</summary>
    public int Count => Volatile.Read(ref _count);

    private int _count;

    /// <summary>Approximate bytes of turn text held.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Threads dropped to keep the limits or under memory pressure (not counting expiry).</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    private long _evicted;

    /// <inheritdoc />
    public string? KnownModel(Guid id)
    {
        if (!_threads.TryGetValue(id, out var entry))
        {
            return null;
        }

        var turns = Volatile.Read(ref entry.Turns);
        for (int i = turns.Length - 1; i >= 0; i--)
        {
            if (turns[i].Model is { } model)
            {
                return model;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public ValueTask<ConversationThread?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!_threads.TryGetValue(id, out var entry))
        {
            return ValueTask.FromResult<ConversationThread?>(null);
        }

        long now = _time.GetTimestamp();
        lock (entry)
        {
            if (entry.Removed || entry.ExpiresAt <= now)
            {
                Remove(id, entry);
                return ValueTask.FromResult<ConversationThread?>(null);
            }

            entry.LastUsed = now;
            return ValueTask.FromResult<ConversationThread?>(new ConversationThread(id, entry.CreatedAt, entry.Turns));
        }
    }

    /// <inheritdoc />
    public ValueTask<(ThreadAppendStatus Status, int Turns)> AppendAsync(Guid id, ThreadTurn turn, bool create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        long now = _time.GetTimestamp();
        long size = SizeOf(turn);
        while (true)
        {
            if (!_threads.TryGetValue(id, out var entry))
            {
                if (!create)
                {
                    return ValueTask.FromResult((ThreadAppendStatus.NotFound, 0));
                }

                var fresh = new Entry(id, _time.GetUtcNow(), [turn], now + _ttlTicks, now, size);
                if (!_threads.TryAdd(id, fresh))
                {
                    continue; // created by someone else meanwhile: append to theirs
                }

                Interlocked.Increment(ref _count);
                Interlocked.Add(ref _bytes, size);
                SweepNowAndThen(now);
                KeepLimits(id);
                return ValueTask.FromResult((ThreadAppendStatus.Appended, 1));
            }

            int count;
            lock (entry)
            {
                if (entry.Removed)
                {
                    continue; // evicted as we looked: the table no longer has it
                }

                if (entry.ExpiresAt <= now)
                {
                    Remove(id, entry);
                    if (create)
                    {
                        continue;
                    }

                    return ValueTask.FromResult((ThreadAppendStatus.NotFound, 0));
                }

                if (entry.Turns.Length >= Options.MaxTurns)
                {
                    return ValueTask.FromResult((ThreadAppendStatus.Full, entry.Turns.Length));
                }

                entry.Turns = [.. entry.Turns, turn];
                entry.ExpiresAt = now + _ttlTicks;
                entry.LastUsed = now;
                entry.Bytes += size;
                Interlocked.Add(ref _bytes, size);
                count = entry.Turns.Length;
            }

            // Outside the thread's lock: trimming takes other threads' locks, one at a time.
            if (Interlocked.Read(ref _bytes) > Options.MaxBytes)
            {
                KeepLimits(id);
            }

            return ValueTask.FromResult((ThreadAppendStatus.Appended, count));
        }
    }

    // Expired threads are dropped when read; those never read again go with a sweep at most once a minute, run by
    // whichever call creates a thread then (no timer of its own to stop).
    private void SweepNowAndThen(long now)
    {
        long last = Interlocked.Read(ref _lastSweep);
        if (_time.GetElapsedTime(last, now) >= SweepInterval && Interlocked.CompareExchange(ref _lastSweep, now, last) == last)
        {
            Sweep();
        }
    }

    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);
    private long _lastSweep;

    /// <summary>Drops expired threads; returns how many went.</summary>
    public int Sweep()
    {
        long now = _time.GetTimestamp();
        int swept = 0;
        foreach (var (id, entry) in _threads)
        {
            if (Volatile.Read(ref entry.ExpiresAt) <= now && Remove(id, entry))
            {
                swept++;
            }
        }

        return swept;
    }

    /// <summary>
    /// Under memory pressure, gives memory back: at <see cref="MemoryPressure.High"/> the least recently used threads go
    /// until half the thread and byte limits are left, at <see cref="MemoryPressure.Critical"/> until a quarter.
    /// </summary>
    public void OnMemoryPressure(MemoryPressure level)
    {
        Sweep();
        int share = level switch { MemoryPressure.High => 2, MemoryPressure.Critical => 4, _ => 0 };
        if (share > 0)
        {
            Trim(Options.MaxThreads / share, Options.MaxBytes / share, keep: Guid.Empty);
        }
    }

    // Past a limit, trim to 90% of it in one pass: a full store costs one scan per tenth of its size in new threads,
    // not one per thread (every chat call opens a thread, so a full store is the steady state of a busy daemon).
    private void KeepLimits(Guid keep)
    {
        if (Count > Options.MaxThreads || Interlocked.Read(ref _bytes) > Options.MaxBytes)
        {
            Trim(Options.MaxThreads - Options.MaxThreads / 10, Options.MaxBytes - Options.MaxBytes / 10, keep);
        }
    }

    // Drops the least recently used threads until both limits hold: one scan sorts them by last use. The arrays of the
    // scan are kept for the next (two of 10,000 slots at the default limit, each below the large object heap's size).
    private void Trim(int maxThreads, long maxBytes, Guid keep)
    {
        lock (_trimGate)
        {
            if (Count <= maxThreads && Interlocked.Read(ref _bytes) <= maxBytes)
            {
                return; // someone else trimmed meanwhile
            }

            int n = 0;
            foreach (var (id, entry) in _threads)
            {
                if (id == keep)
                {
                    continue;
                }

                if (n == _byAge.Length)
                {
                    Array.Resize(ref _byAge, Math.Max(16, n * 2));
                    Array.Resize(ref _lastUsed, _byAge.Length);
                }

                _lastUsed[n] = Volatile.Read(ref entry.LastUsed);
                _byAge[n++] = entry;
            }

            Array.Sort(_lastUsed, _byAge, 0, n);
            for (int i = 0; i < n && (Count > maxThreads || Interlocked.Read(ref _bytes) > maxBytes); i++)
            {
                if (Remove(_byAge[i].Id, _byAge[i]))
                {
                    Interlocked.Increment(ref _evicted);
                }
            }

            // Only the thread being written may be left over a limit: it stays until it expires or the next trim.
            Array.Clear(_byAge, 0, n);
        }
    }

    private readonly Lock _trimGate = new();
    private Entry[] _byAge = [];
    private long[] _lastUsed = [];

    private bool Remove(Guid id, Entry entry)
    {
        lock (entry)
        {
            if (entry.Removed)
            {
                return false;
            }

            entry.Removed = true;
            Interlocked.Decrement(ref _count);
            Interlocked.Add(ref _bytes, -entry.Bytes);
        }

        _threads.TryRemove(new KeyValuePair<Guid, Entry>(id, entry));
        return true;
    }

    // What a turn costs to keep, approximately: its text as UTF-16 plus a fixed overhead for the objects around it.
    private static long SizeOf(ThreadTurn turn)
    {
        long chars = turn.Request.Length + turn.Answer.Length;
        foreach (string f in turn.Files)
        {
            chars += f.Length;
        }

        if (turn.Step is { } step)
        {
            chars += step.Findings.Length + (step.Hypothesis?.Length ?? 0);
            foreach (var list in (IReadOnlyList<string>[])[step.FilesChecked, step.RelevantFiles, step.RelevantContext])
            {
                foreach (string s in list)
                {
                    chars += s.Length;
                }
            }

            foreach (var issue in step.IssuesFound)
            {
                chars += issue.Description.Length + issue.Severity.Length;
            }
        }

        return 2 * chars + 256;
    }

    private sealed class Entry(Guid id, DateTimeOffset createdAt, ThreadTurn[] turns, long expiresAt, long lastUsed, long bytes)
    {
        public readonly Guid Id = id;
        public readonly DateTimeOffset CreatedAt = createdAt;
        public ThreadTurn[] Turns = turns;
        public long ExpiresAt = expiresAt;
        public long LastUsed = lastUsed;
        public long Bytes = bytes;
        public bool Removed;
    }
}
