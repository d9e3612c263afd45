using ExaiFast.Core.Dispatch;
using Microsoft.Extensions.Time.Testing;

namespace ExaiFast.Core.Tests;

/// <summary>The memory monitor's compaction after a burst of big messages, on fake readings and a fake clock.</summary>
public class MemoryCompactionTests
{
    private const long MiB = 1 << 20;

    private sealed class Footprint
    {
        public long Committed { get; set; } = 60 * MiB;

        public long Allocated { get; set; }

        public int Compactions { get; private set; }

        public void Compact()
        {
            Compactions++;
            Committed = Heap.Live + 10 * MiB;
            Heap.Garbage = 0;
        }

        public TestHeap Heap { get; } = new() { Live = 40 * MiB };
    }

    private static (MemoryMonitor Monitor, Footprint Footprint, FakeTimeProvider Clock) Create(long compactGrowth = 0)
    {
        var f = new Footprint();
        var clock = new FakeTimeProvider();
        var monitor = new MemoryMonitor(new MemoryMarks(10_000 * MiB, 20_000 * MiB, compactGrowth), clock, f.Heap.Read, f.Heap.Collect,
            () => f.Committed, () => f.Allocated, f.Compact);
        return (monitor, f, clock);
    }

    private static void Tick(MemoryMonitor monitor, FakeTimeProvider clock, int times, bool busy = false)
    {
        for (int i = 0; i < times; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            monitor.Check(busy);
        }
    }

    [Fact]
    public void AfterABurst_TheQuietMonitorCompactsOnce_OnItsFifthQuietReading()
    {
        var (monitor, f, clock) = Create();
        Tick(monitor, clock, 3); // the starting footprint is the reference

        f.Allocated += 900 * MiB; // the burst
        f.Committed = 1_200 * MiB;
        f.Heap.Garbage = 800 * MiB;
        Tick(monitor, clock, 1);
        Tick(monitor, clock, MemoryMonitor.QuietChecks - 1);
        Assert.Equal(0, f.Compactions);
        Tick(monitor, clock, 1);
        Assert.Equal(1, f.Compactions);
        Assert.Equal(1, monitor.Compactions);
        Assert.Equal(40 * MiB, monitor.HeapBytes); // the reading is the live heap again

        Tick(monitor, clock, 60); // idle: nothing grew, so nothing more to do
        Assert.Equal(1, f.Compactions);
    }

    [Fact]
    public void CallsInFlight_OrSteadyAllocation_AreNotQuiet()
    {
        var (monitor, f, clock) = Create();
        Tick(monitor, clock, 1);
        f.Committed = 1_200 * MiB;

        Tick(monitor, clock, 20, busy: true); // a big call running: its memory is in use
        for (int i = 0; i < 20; i++)
        {
            f.Allocated += 3 * MiB; // above the quiet rate
            Tick(monitor, clock, 1);
        }

        Assert.Equal(0, f.Compactions);
        Tick(monitor, clock, MemoryMonitor.QuietChecks);
        Assert.Equal(1, f.Compactions);
    }

    [Fact]
    public void ByDefault_GrowthMustReachTwiceTheLiveHeap_AndAGivenGrowthIsUsedAsIs()
    {
        var (monitor, f, clock) = Create();
        Tick(monitor, clock, 1);
        f.Committed += 31 * MiB; // under 32 MiB of growth
        Tick(monitor, clock, 10);
        Assert.Equal(0, f.Compactions);

        // A compaction that finds 60 MiB live (it leaves 70 MiB committed): from then on, 32 MiB of growth is not
        // enough while the footprint is under twice that live heap (120 MiB).
        f.Heap.Live = 60 * MiB;
        f.Committed += 1 * MiB;
        Tick(monitor, clock, MemoryMonitor.QuietChecks);
        Assert.Equal(1, f.Compactions);
        f.Committed += 50 * MiB; // 120 MiB less a byte
        f.Committed -= 1;
        Tick(monitor, clock, 10);
        Assert.Equal(1, f.Compactions);
        f.Committed += 1; // twice the live heap
        Tick(monitor, clock, MemoryMonitor.QuietChecks);
        Assert.Equal(2, f.Compactions);

        var (given, g, clock2) = Create(compactGrowth: 8 * MiB);
        Tick(given, clock2, 1);
        g.Committed += 8 * MiB;
        Tick(given, clock2, MemoryMonitor.QuietChecks);
        Assert.Equal(1, g.Compactions);
    }
}
