using ExaiFast.Core.Dispatch;
using Microsoft.Extensions.Time.Testing;

namespace ExaiFast.Core.Tests;

public class MemoryMonitorTests
{
    private const long MiB = 1 << 20;

    private static (MemoryMonitor Monitor, TestHeap Heap, FakeTimeProvider Clock) Create()
    {
        var heap = new TestHeap();
        var clock = new FakeTimeProvider();
        return (new MemoryMonitor(new MemoryMarks(100 * MiB, 200 * MiB), clock, heap.Read, heap.Collect), heap, clock);
    }

    [Fact]
    public void Levels_FollowTheReading_AgainstBothMarks()
    {
        var (monitor, heap, _) = Create();

        heap.Live = 99 * MiB;
        Assert.Equal(MemoryPressure.Normal, monitor.Check());
        heap.Live = 100 * MiB;
        Assert.Equal(MemoryPressure.High, monitor.Check());
        heap.Live = 250 * MiB;
        Assert.Equal(MemoryPressure.Critical, monitor.Check());
        Assert.Equal(MemoryPressure.Critical, monitor.Level);
        Assert.Equal(250 * MiB, monitor.HeapBytes);
        heap.Live = 150 * MiB;
        Assert.Equal(MemoryPressure.High, monitor.Check()); // recovers without waiting for a collection
        heap.Live = 10 * MiB;
        Assert.Equal(MemoryPressure.Normal, monitor.Check());
        Assert.Equal(1, heap.Collections); // only the critical reading was confirmed
    }

    [Fact]
    public void ACriticalReadingOfGarbage_IsCollected_AndRefusesNothing()
    {
        var (monitor, heap, _) = Create();
        heap.Live = 50 * MiB;
        heap.Garbage = 400 * MiB;

        Assert.Equal(MemoryPressure.Normal, monitor.Check());
        Assert.Equal(1, heap.Collections);
        Assert.Equal(50 * MiB, monitor.HeapBytes);
    }

    [Fact]
    public void ConfirmingCollections_AreSpacedByTheConfirmInterval_SoAStaleCriticalReadingCannotLastForEver()
    {
        var (monitor, heap, clock) = Create();
        heap.Live = 250 * MiB;
        Assert.Equal(MemoryPressure.Critical, monitor.Check());
        Assert.Equal(MemoryPressure.Critical, monitor.Check());
        Assert.Equal(1, heap.Collections); // no collection every check under sustained pressure

        // The live data went away but became garbage nobody collects: the next confirmation sees it.
        heap.Live = 20 * MiB;
        heap.Garbage = 230 * MiB;
        clock.Advance(MemoryMonitor.ConfirmInterval - TimeSpan.FromSeconds(1));
        Assert.Equal(MemoryPressure.Critical, monitor.Check());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(MemoryPressure.Normal, monitor.Check());
        Assert.Equal(2, heap.Collections);
    }

    [Fact]
    public void MarksLeftAtZero_AreSharesOfWhatTheGcMayUse()
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

        var derived = MemoryMarks.Resolve(new Options.DispatcherOptions());
        var given = MemoryMarks.Resolve(new Options.DispatcherOptions { MemoryHighWaterBytes = 5, MemoryCriticalBytes = 7 });

        // The documented numbers, written out: computed from the constants under test, a changed share would pass.
        Assert.Equal(available * 3 / 4, derived.HighWater); // 75%, exactly (0.75 is exact in binary)
        Assert.InRange(derived.Critical, available * 9 / 10 - 1, available * 9 / 10); // 90%, to the byte (0.9 is not exact)
        Assert.Equal(new MemoryMarks(5, 7), given);
    }
}
