using ExaiFast.Core.Dispatch;
using Microsoft.Extensions.Time.Testing;

namespace ExaiFast.Core.Tests;

/// <summary>
/// The memory monitor reads the <see cref="InboundActivity"/> it was handed: while the daemon's inbound budgets hold a big
/// message arriving (which allocates nothing as it streams into its array), the daemon is not quiet, and no compaction
/// pauses it mid-burst.
/// </summary>
public sealed class MemoryInboundActivityTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void ABigMessageArriving_IsNotQuiet_UntilItsBytesAreGivenBack()
    {
        var inbound = new InboundActivity();
        var clock = new FakeTimeProvider();
        long committed = 60 * MiB;
        int compactions = 0;
        var monitor = new MemoryMonitor(new MemoryMarks(10_000 * MiB, 20_000 * MiB), clock, () => 40 * MiB, () => { },
            () => committed, () => 0, () => { compactions++; committed = 50 * MiB; }, inbound);
        Tick(monitor, clock, 1); // the starting footprint is the reference

        committed = 1_200 * MiB; // grown far past it: a quiet daemon would compact
        inbound.Add(30 * MiB);
        Tick(monitor, clock, 4 * MemoryMonitor.QuietChecks);
        Assert.Equal(0, compactions);

        inbound.Add(-30 * MiB);
        Tick(monitor, clock, MemoryMonitor.QuietChecks);
        Assert.Equal(1, compactions);
    }

    private static void Tick(MemoryMonitor monitor, FakeTimeProvider clock, int times)
    {
        for (int i = 0; i < times; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            monitor.Check(busy: false);
        }
    }
}
