using ExaiFast.Server.Connections;
using ExaiFast.Server.Metrics;

namespace ExaiFast.Server.Tests.Connections;

/// <summary>The inbound budget's accounting on its own: grants, first-come-first-served waits, cancellation races.</summary>
public class InboundBudgetTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Reservations_ThatFit_AreGrantedAtOnce_AndReleasingAnArray_GivesBackItsLength()
    {
        var metrics = new ServerMetrics();
        var budget = new InboundBudget(10 * MiB, metrics);

        Assert.True(budget.TryReserve(4 * MiB, out var none));
        Assert.Null(none);
        Assert.True(budget.TryReserve(6 * MiB, out _));
        Assert.Equal(10 * MiB, budget.Used);
        Assert.Equal(10 * MiB, metrics.InboundBytesInFlight.Value);

        budget.Release(new byte[4 * MiB]); // a payload array is its reservation
        Assert.Equal(6 * MiB, budget.Used);
        Assert.Equal(0, metrics.InboundBudgetWaits.Value);
    }

    [Fact]
    public async Task Waiters_AreServedInOrder_AndAWaiterThatDoesNotFit_HoldsBackThoseBehindIt()
    {
        var metrics = new ServerMetrics();
        var budget = new InboundBudget(10 * MiB, metrics);
        Assert.True(budget.TryReserve(8 * MiB, out _));

        Assert.False(budget.TryReserve(6 * MiB, out var first));
        Assert.False(budget.TryReserve(1 * MiB, out var second)); // would fit, but queues behind the first
        Assert.Equal(2, metrics.InboundBudgetWaits.Value);
        Assert.False(second!.Granted.IsCompleted);

        budget.Release(4 * MiB); // 4 used: the first (6) fits; the second (1) would not fit after it
        Assert.True(await first!.Granted.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        Assert.False(second.Granted.IsCompleted);
        budget.Release(1 * MiB);
        Assert.True(await second.Granted.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        Assert.Equal(10 * MiB, budget.Used);
    }

    [Fact]
    public async Task CancellingAWaiter_RefusesIt_AndLetsThoseBehindItThrough_ButAGrantedOneStaysHeld()
    {
        var budget = new InboundBudget(10 * MiB, new ServerMetrics());
        Assert.True(budget.TryReserve(8 * MiB, out _));
        Assert.False(budget.TryReserve(9 * MiB, out var big));
        Assert.False(budget.TryReserve(2 * MiB, out var small));

        Assert.True(budget.Cancel(big!)); // a connection closing while it waits
        Assert.False(await big!.Granted.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        Assert.True(await small!.Granted.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken)); // no longer held back
        Assert.Equal(10 * MiB, budget.Used);

        Assert.False(budget.Cancel(small)); // granted first: the caller holds the bytes and must release them
        Assert.Equal(10 * MiB, budget.Used);
        budget.Release(2 * MiB);
        budget.Release(8 * MiB);
        Assert.Equal(0, budget.Used);
    }
}
