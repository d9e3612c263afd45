using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;

namespace ExaiFast.Core.Tests;

public class ResultStoreTests
{
    private static readonly CallResult Ok = new() { Text = "ok" };

    [Fact]
    public void OverCapacity_EvictsTheOldest_AndCountsExactly()
    {
        var store = new ResultStore(TimeProvider.System, TimeSpan.FromMinutes(10), capacity: 3);
        for (int i = 0; i < 5; i++)
        {
            store.Add(new CallKey("s", $"r{i}"), Ok with { Text = $"{i}" });
        }

        Assert.Equal(3, store.Count);
        Assert.False(store.TryGet(new CallKey("s", "r0"), out _));
        Assert.False(store.TryGet(new CallKey("s", "r1"), out _));
        Assert.True(store.TryGet(new CallKey("s", "r4"), out var newest));
        Assert.Equal("4", newest.Text);
    }

    [Fact]
    public void ReplacingAKey_CountsItOnce_AndKeepsTheNewerResult()
    {
        var store = new ResultStore(TimeProvider.System, TimeSpan.FromMinutes(10), capacity: 10);
        var key = new CallKey("s", "same");
        store.Add(key, Ok with { Text = "old" });
        store.Add(key, Ok with { Text = "new" });
        Assert.Equal(1, store.Count);

        Assert.Equal(0, store.Sweep(trimTo: 1)); // the stale queue entry for "old" must not remove "new"
        Assert.True(store.TryGet(key, out var result));
        Assert.Equal("new", result.Text);
    }

    [Fact]
    public void ExpiredEntries_AreInvisible_AndSweptAway()
    {
        var store = new ResultStore(TimeProvider.System, TimeSpan.Zero, capacity: 10);
        store.Add(new CallKey("s", "gone"), Ok);
        Assert.False(store.TryGet(new CallKey("s", "gone"), out _));
        Assert.Equal(1, store.Sweep());
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task ConcurrentAddsAndSweeps_KeepTheCountExact()
    {
        var store = new ResultStore(TimeProvider.System, TimeSpan.FromMinutes(10), capacity: 500);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 5_000; i++)
            {
                store.Add(new CallKey($"s{t}", $"r{i % 700}"), Ok);
                if (i % 97 == 0)
                {
                    store.Sweep(trimTo: 400);
                }
            }
        }, TestContext.Current.CancellationToken)));

        store.Sweep();
        int visible = 0;
        for (int t = 0; t < 8; t++)
        {
            for (int i = 0; i < 700; i++)
            {
                visible += store.TryGet(new CallKey($"s{t}", $"r{i}"), out _) ? 1 : 0;
            }
        }

        Assert.Equal(visible, store.Count);
        Assert.True(store.Count <= 500, $"count {store.Count}");
    }
}
