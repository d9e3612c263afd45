using System.Collections.Concurrent;
using ExaiFast.Core.Dispatch;

namespace ExaiFast.Tools.Threads;

/// <summary>
/// Threads in this process: bounded in threads and bytes (about the least recently used go first), expired by TTL, and trimmed
/// when the memory monitor reports pressure. The default store; lost when the daemon stops.
/// </summary>
/// <remarks>
/// <para>A thread's turns are an immutable array replaced under the thread's own lock, so an append is atomic and a
/// reader takes a snapshot without locking. The table itself is a <see cref="ConcurrentDictionary{TKey,TValue}"/>; the
/// byte and thread counts are kept with <see cref="Interlocked"/>.</para>
/// <para>Eviction is a clock (second chance) over the threads in the order they were created: past a limit, the oldest
/// go until 90% of it is left, but one used since it was last passed is passed again instead, to the back. So a thread
/// goes roughly in the order of its last use, and a full store — the steady state of a busy daemon, where every chat
/// call opens a thread — pays a few queue operations per new thread: an exact order of last use took a scan and a sort
/// of every thread per tenth of them created, 5% of that daemon's CPU and a stall of milliseconds on the thread that
/// made it. The count is kept apart from the dictionary, whose own <c>Count</c> takes every one of its locks.</para>
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
                _byCreation.Enqueue(fresh);
                Interlocked.Increment(ref _queued);
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

    /// <inheritdoc />
    /// <remarks>One pass over the table keeping the newest <paramref name="max"/> in a small heap: a full store (10,000
    /// threads by default) costs a scan, never a sort of all of it; turns are snapshots, read without locks.</remarks>
    public ValueTask<IReadOnlyList<Core.Threads.ThreadSummary>> RecentAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        long now = _time.GetTimestamp();
        var newest = new PriorityQueue<(Entry Entry, ThreadTurn[] Turns), (DateTimeOffset At, Guid Id)>(max + 1, NewestLast.Instance);
        foreach (var (_, entry) in _threads)
        {
            var turns = Volatile.Read(ref entry.Turns);
            if (Volatile.Read(ref entry.Removed) || Volatile.Read(ref entry.ExpiresAt) <= now || turns.Length == 0)
            {
                continue;
            }

            newest.Enqueue((entry, turns), (turns[^1].At, entry.Id));
            if (newest.Count > max)
            {
                newest.Dequeue(); // the oldest of those kept
            }
        }

        var list = new Core.Threads.ThreadSummary[newest.Count];
        for (int i = list.Length - 1; i >= 0; i--)
        {
            var (entry, turns) = newest.Dequeue();
            list[i] = new ConversationThread(entry.Id, entry.CreatedAt, turns).Summary()!;
        }

        return ValueTask.FromResult<IReadOnlyList<Core.Threads.ThreadSummary>>(list);
    }

    // The heap's order: its head is the oldest kept (ties: the greater id), so that it is the one dropped.
    private sealed class NewestLast : IComparer<(DateTimeOffset At, Guid Id)>
    {
        public static readonly NewestLast Instance = new();

        public int Compare((DateTimeOffset At, Guid Id) x, (DateTimeOffset At, Guid Id) y)
        {
            int byTime = x.At.CompareTo(y.At);
            return byTime != 0 ? byTime : y.Id.CompareTo(x.Id);
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
            Evict(Options.MaxThreads / share, Options.MaxBytes / share, keep: Guid.Empty);
        }
    }

    // Past a limit, evict down to 90% of it: a full store evicts about one thread per new one. Threads removed otherwise
    // (expired, swept) stay in the clock's queue until it passes them; when they outnumber the live ones, a pass drops them.
    private void KeepLimits(Guid keep)
    {
        if (Count > Options.MaxThreads || Interlocked.Read(ref _bytes) > Options.MaxBytes)
        {
            Evict(Options.MaxThreads - Options.MaxThreads / 10, Options.MaxBytes - Options.MaxBytes / 10, keep);
        }
        else if (Volatile.Read(ref _queued) > 2 * Count + 1024)
        {
            DropRemoved();
        }
    }

    // The clock: the oldest thread goes unless it was used since it was last passed (or is the one being written); then
    // it goes to the back, marked as passed now. Two rounds of the queue at most: by the second, every thread left was
    // passed in the first.
    private void Evict(int maxThreads, long maxBytes, Guid keep)
    {
        lock (_clockGate)
        {
            long now = _time.GetTimestamp();
            for (int looks = 2 * Volatile.Read(ref _queued) + 1;
                 looks > 0 && (Count > maxThreads || Interlocked.Read(ref _bytes) > maxBytes) && _byCreation.TryDequeue(out var entry);
                 looks--)
            {
                if (Volatile.Read(ref entry.Removed))
                {
                    Interlocked.Decrement(ref _queued);
                }
                else if (entry.Id == keep || Volatile.Read(ref entry.LastUsed) > entry.PassedAt)
                {
                    entry.PassedAt = now;
                    _byCreation.Enqueue(entry);
                }
                else
                {
                    Interlocked.Decrement(ref _queued);
                    if (Remove(entry.Id, entry))
                    {
                        Interlocked.Increment(ref _evicted);
                    }
                }
            }
        }
    }

    // One round of the queue that keeps the live threads in their order and their marks.
    private void DropRemoved()
    {
        lock (_clockGate)
        {
            for (int looks = Volatile.Read(ref _queued); looks > 0 && _byCreation.TryDequeue(out var entry); looks--)
            {
                if (Volatile.Read(ref entry.Removed))
                {
                    Interlocked.Decrement(ref _queued);
                }
                else
                {
                    _byCreation.Enqueue(entry);
                }
            }
        }
    }

    /// <summary>Threads in the clock's queue, removed ones included until it passes them (tests).</summary>
    internal int Queued => Volatile.Read(ref _queued);

    private readonly ConcurrentQueue<Entry> _byCreation = new();
    private readonly Lock _clockGate = new();
    private int _queued;

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
        public long PassedAt = lastUsed; // when the clock last passed it (its creation until then)
        public long Bytes = bytes;
        public bool Removed;
    }
}
