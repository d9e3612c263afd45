namespace ExaiFast.Core.Dispatch;

/// <summary>Reads the managed heap and says how close it is to the memory budget; the dispatcher acts on the answer.</summary>
/// <remarks>
/// <para>The reading is <see cref="GC.GetTotalMemory(bool)"/> without a collection: cheap, but it counts garbage not
/// collected yet. So a reading at or above the critical mark — which refuses calls — is confirmed by a full blocking
/// collection and read again, at most once per <see cref="ConfirmInterval"/>. That also keeps a stale reading from
/// refusing calls for ever: a daemon that refuses work allocates little, so nothing else might trigger the
/// collection that shows the memory is free again.</para>
/// <para><see cref="Check"/> is called by one timer loop at a time; <see cref="Level"/> may be read from any thread.</para>
/// </remarks>
internal sealed class MemoryMonitor
{
    /// <summary>Least time between two confirming collections.</summary>
    internal static readonly TimeSpan ConfirmInterval = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly Func<long> _readHeap;
    private readonly Action _collect;
    private long _lastCollect;
    private bool _collected;
    private int _level;
    private long _heap;

    /// <summary>A monitor of <paramref name="marks"/>; tests pass their own heap reading and collection.</summary>
    public MemoryMonitor(MemoryMarks marks, TimeProvider time, Func<long>? readHeap = null, Action? collect = null)
    {
        Marks = marks;
        _time = time;
        _readHeap = readHeap ?? (static () => GC.GetTotalMemory(forceFullCollection: false));
        _collect = collect ?? (static () => GC.Collect());
    }

    /// <summary>The thresholds.</summary>
    public MemoryMarks Marks { get; }

    /// <summary>The level of the last <see cref="Check"/>.</summary>
    public MemoryPressure Level => (MemoryPressure)Volatile.Read(ref _level);

    /// <summary>The heap reading of the last <see cref="Check"/>, in bytes.</summary>
    public long HeapBytes => Volatile.Read(ref _heap);

    /// <summary>Reads the heap (collecting first to confirm a critical reading) and sets <see cref="Level"/>.</summary>
    public MemoryPressure Check()
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
        return level;
    }
}
