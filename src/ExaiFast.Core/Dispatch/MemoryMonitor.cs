using System.Runtime;

namespace ExaiFast.Core.Dispatch;

/// <summary>Reads the managed heap and says how close it is to the memory budget; the dispatcher acts on the answer.</summary>
/// <remarks>
/// <para>The reading is <see cref="GC.GetTotalMemory(bool)"/> without a collection: cheap, but it counts garbage not
/// collected yet. So a reading at or above the critical mark — which refuses calls — is confirmed by a full blocking
/// collection and read again, at most once per <see cref="ConfirmInterval"/>. That also keeps a stale reading from
/// refusing calls for ever: a daemon that refuses work allocates little, so nothing else might trigger the
/// collection that shows the memory is free again.</para>
/// <para>It also gives memory back after a burst. A burst of big messages leaves the large object heap full of
/// garbage that an idle daemon never collects, and what the GC has committed stays resident: 8 × 30 MiB prompts left
/// 1.5–2 GiB behind for good. So when the daemon has been quiet for <see cref="QuietChecks"/> readings (no call in flight,
/// no big message arriving (<see cref="InboundActivity"/>), less than <see cref="QuietAllocationRate"/> allocated) and the GC's committed memory has grown since the last
/// compaction — by <see cref="MemoryMarks.CompactGrowth"/>, or by default by 32 MiB and to twice the live heap that
/// compaction found — it runs one aggressive, compacting full collection with the large object heap compacted, which
/// decommits what the heap no longer needs; <see cref="Compactions"/> counts them. A busy daemon is never paused for one:
/// its own collections do that work as it allocates. (Allocation alone is not enough to tell: a big message streaming
/// into the array allocated for it at its first frame allocates nothing for seconds, and compactions there, measured,
/// took a mid-burst live heap as the reference, so the burst's last 1 GiB was never returned.)</para>
/// <para><see cref="Check"/> is called by one timer loop at a time; <see cref="Level"/> may be read from any thread.</para>
/// </remarks>
internal sealed class MemoryMonitor
{
    /// <summary>Least time between two confirming collections.</summary>
    internal static readonly TimeSpan ConfirmInterval = TimeSpan.FromSeconds(10);

    /// <summary>Consecutive quiet readings before a compaction (5 s at the default interval).</summary>
    internal const int QuietChecks = 5;

    /// <summary>Bytes allocated per second below which a reading counts as quiet (an idle daemon answering /metrics
    /// scrapes and pings allocates a few KiB per second).</summary>
    internal const double QuietAllocationRate = 2 << 20;

    private readonly Func<long> _readCommitted;
    private readonly Func<long> _readAllocated;
    private readonly Action _compact;
    private readonly InboundActivity _inbound;
    private long _lastCheck;
    private long _lastAllocated;
    private int _quietChecks;
    private long _committedAfterCompaction = -1;
    private long _liveAfterCompaction;
    private int _compactions;

    private readonly TimeProvider _time;
    private readonly Func<long> _readHeap;
    private readonly Action _collect;
    private long _lastCollect;
    private bool _collected;
    private int _level;
    private long _heap;
    private long _committed;

    /// <summary>A monitor of <paramref name="marks"/>, told of the daemon's big messages arriving by <paramref name="inbound"/>
    /// (none ever if null); tests pass their own readings, collection and compaction.</summary>
    public MemoryMonitor(MemoryMarks marks, TimeProvider time, Func<long>? readHeap = null, Action? collect = null,
        Func<long>? readCommitted = null, Func<long>? readAllocated = null, Action? compact = null, InboundActivity? inbound = null)
    {
        Marks = marks;
        _time = time;
        _readHeap = readHeap ?? (static () => GC.GetTotalMemory(forceFullCollection: false));
        _collect = collect ?? (static () => GC.Collect());
        _readCommitted = readCommitted ?? (static () => GC.GetGCMemoryInfo().TotalCommittedBytes);
        _readAllocated = readAllocated ?? (static () => GC.GetTotalAllocatedBytes(precise: false));
        _compact = compact ?? Compact;
        _inbound = inbound ?? new InboundActivity();
        _lastCheck = time.GetTimestamp();
        _lastAllocated = _readAllocated();
    }

    /// <summary>Compactions run because the daemon was quiet and its footprint far above what it was.</summary>
    public int Compactions => Volatile.Read(ref _compactions);

    /// <summary>The thresholds.</summary>
    public MemoryMarks Marks { get; }

    /// <summary>The level of the last <see cref="Check"/>.</summary>
    public MemoryPressure Level => (MemoryPressure)Volatile.Read(ref _level);

    /// <summary>The heap reading of the last <see cref="Check"/>, in bytes.</summary>
    public long HeapBytes => Volatile.Read(ref _heap);

    /// <summary>The GC's committed memory at the last <see cref="Check"/>, in bytes: the managed share of RSS, live or not.</summary>
    public long CommittedBytes => Volatile.Read(ref _committed);

    /// <summary>Reads the heap (collecting first to confirm a critical reading) and sets <see cref="Level"/>;
    /// compacts when the daemon is quiet and its footprint has grown (<paramref name="busy"/>: calls are in flight).</summary>
    public MemoryPressure Check(bool busy = false)
    {
        long heap = _readHeap();
        if (heap >= Marks.Critical && (!_collected || _time.GetElapsedTime(_lastCollect) >= ConfirmInterval))
        {
            _collect();
            _collected = true;
            _lastCollect = _time.GetTimestamp();
            heap = _readHeap();
        }

        var level = heap >= Marks.Critical ? MemoryPressure.Critical
            : heap >= Marks.HighWater ? MemoryPressure.High
            : MemoryPressure.Normal;
        Volatile.Write(ref _heap, heap);
        Volatile.Write(ref _level, (int)level);
        CompactIfQuiet(busy);
        return level;
    }

    private void CompactIfQuiet(bool busy)
    {
        long now = _time.GetTimestamp();
        long allocated = _readAllocated();
        double seconds = Math.Max(_time.GetElapsedTime(_lastCheck, now).TotalSeconds, 1e-3);
        bool quiet = !busy && _inbound.Bytes == 0 && (allocated - _lastAllocated) / seconds < QuietAllocationRate;
        _lastCheck = now;
        _lastAllocated = allocated;
        _quietChecks = quiet ? _quietChecks + 1 : 0;

        long committed = _readCommitted();
        Volatile.Write(ref _committed, committed);
        if (_committedAfterCompaction < 0)
        {
            _committedAfterCompaction = committed; // the footprint the daemon started with
        }

        bool grown = Marks.CompactGrowth > 0
            ? committed - _committedAfterCompaction >= Marks.CompactGrowth
            : committed - _committedAfterCompaction >= MemoryMarks.MinCompactGrowth && committed >= 2 * _liveAfterCompaction;
        if (_quietChecks < QuietChecks || !grown)
        {
            return;
        }

        _compact();
        Interlocked.Increment(ref _compactions);
        _quietChecks = 0;
        _committedAfterCompaction = _readCommitted();
        _liveAfterCompaction = _readHeap(); // right after a full compacting collection: what is live
        _lastAllocated = _readAllocated();
        Volatile.Write(ref _heap, _liveAfterCompaction);
    }

    // Aggressive: compacts every generation and the large object heap and decommits what is free (GC docs: "as much
    // memory as possible"); blocking, so it runs only when the daemon is quiet.
    private static void Compact()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
