using ExaiFast.Core.Dispatch;

namespace ExaiFast.Core.Tests;

public class CallerLoadTests
{
    [Fact]
    public void Limit_IsPerSession_AndIdleCountersAreSweptAway()
    {
        var load = new CallerLoad();
        Assert.True(load.TryAcquire("a", 2));
        Assert.True(load.TryAcquire("a", 2));
        Assert.False(load.TryAcquire("a", 2));
        Assert.True(load.TryAcquire("b", 2));
        Assert.Equal(2, load.Callers);

        load.PassOn("a");
        load.PassOn("a");
        Assert.Equal(1, load.Callers); // "a" idle: not counted, though its counter waits for the sweep
        load.Sweep();
        Assert.Equal(0, load.CountOf("a"));
        Assert.Equal(1, load.CountOf("b"));

        Assert.True(load.TryAcquire("a", 2)); // a fresh counter after the sweep
        Assert.Equal(2, load.Callers);
    }

    [Fact]
    public async Task ConcurrentAcquireReleaseAndSweep_NeverExceedTheLimit_AndEndAtZero()
    {
        var load = new CallerLoad();
        int over = 0;
        using var stop = new CancellationTokenSource();
        var sweeper = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                load.Sweep();
                await Task.Yield();
            }
        }, TestContext.Current.CancellationToken);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                if (load.TryAcquire("s", 3))
                {
                    if (load.CountOf("s") > 3)
                    {
                        Interlocked.Increment(ref over);
                    }

                    load.PassOn("s");
                }
            }
        }, TestContext.Current.CancellationToken)));
        await stop.CancelAsync();
        await sweeper;

        Assert.Equal(0, over);
        Assert.Equal(0, load.Callers);
    }
}
