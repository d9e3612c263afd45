using ExaiFast.Core.Dispatch;
using ExaiFast.Tools.Threads;
using Microsoft.Extensions.Time.Testing;

namespace ExaiFast.Tools.Tests.Threads;

/// <summary>
/// The in-memory thread store: atomic appends (none lost, none beyond the turn cap, under contention), the TTL refreshed
/// by every append (on a fake clock), bounds in threads and bytes kept by dropping the least recently used down to 90%
/// in one pass, trimming under memory pressure, and the model a continuation keeps.
/// </summary>
public class MemoryThreadStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    // Each turn costs 2 × chars + 256 bytes: 1,000 chars of request = 2,256 bytes.
    private const int TurnBytes = 2 * 1000 + 256;

    private static ThreadTurn Turn(string request = "q", string? model = null, string answer = "") =>
        new() { Tool = "chat", Request = request, Answer = answer, Model = model };

    private static ThreadTurn BigTurn(string tag) => Turn(tag.PadRight(1000, '.'));

    private static async Task<Guid> OpenAsync(MemoryThreadStore store, ThreadTurn? first = null)
    {
        var id = Guid.NewGuid();
        var (status, turns) = await store.AppendAsync(id, first ?? Turn(), create: true, None);
        Assert.Equal(ThreadAppendStatus.Appended, status);
        Assert.Equal(1, turns);
        return id;
    }

    [Fact]
    public async Task Recent_ListsTheNewestUpdatedLiveThreads_NewestFirst_AtMostAsMany()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var store = new MemoryThreadStore(new ThreadStoreOptions { Ttl = TimeSpan.FromHours(1) }, clock);
        var ids = new List<Guid>();
        for (int i = 0; i < 6; i++)
        {
            ids.Add(await OpenAsync(store, Turn($"  thread {i}\nsecond line") with { At = clock.GetUtcNow() }));
            clock.Advance(TimeSpan.FromMinutes(10));
        }

        // 60 minutes in: the first thread has expired; the second gains a turn and is the newest.
        await store.AppendAsync(ids[1], Turn("later", model: "m") with { Tool = "debug", At = clock.GetUtcNow() }, create: false, None);

        var recent = await store.RecentAsync(3, None);
        Assert.Equal([ids[1], ids[5], ids[4]], recent.Select(t => t.Id));
        Assert.Equal(("thread 1", "debug", "m", 2), (recent[0].Title, recent[0].Tool, recent[0].Model, recent[0].Turns));
        Assert.Equal(clock.GetUtcNow(), recent[0].UpdatedAt);
        Assert.Equal(5, (await store.RecentAsync(100, None)).Count); // the expired one is not listed
    }

    [Fact]
    public async Task Recent_AThreadIsNeverUpdatedBeforeItWasCreated()
    {
        // The tool stamps its turn, then the store stamps the thread's creation: a moment later.
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var store = new MemoryThreadStore(new ThreadStoreOptions(), clock);
        var stamped = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMilliseconds(3));
        await OpenAsync(store, Turn("first") with { At = stamped });

        var summary = Assert.Single(await store.RecentAsync(10, None));
        Assert.Equal((stamped, stamped), (summary.CreatedAt, summary.UpdatedAt));
    }

    [Fact]
    public async Task Append_CreatesOnlyWhenAsked_ThenAddsTurnsInOrder()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions());
        var id = Guid.NewGuid();
        Assert.Equal((ThreadAppendStatus.NotFound, 0), await store.AppendAsync(id, Turn("lost"), create: false, None));
        Assert.Null(await store.GetAsync(id, None));
        Assert.Equal(0, store.Count);

        Assert.Equal((ThreadAppendStatus.Appended, 1), await store.AppendAsync(id, Turn("one"), create: true, None));
        Assert.Equal((ThreadAppendStatus.Appended, 2), await store.AppendAsync(id, Turn("two"), create: false, None));
        Assert.Equal((ThreadAppendStatus.Appended, 3), await store.AppendAsync(id, Turn("three"), create: true, None)); // create on an existing thread appends

        var thread = await store.GetAsync(id, None);
        Assert.NotNull(thread);
        Assert.Equal(id, thread.Id);
        Assert.Equal(["one", "two", "three"], thread.Turns.Select(t => t.Request).ToArray());
    }

    [Fact]
    public async Task Snapshot_DoesNotChange_WhenTheThreadGainsTurnsLater()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions());
        var id = await OpenAsync(store);
        var before = await store.GetAsync(id, None);
        await store.AppendAsync(id, Turn("later"), create: false, None);
        Assert.Single(before!.Turns);
        Assert.Equal(2, (await store.GetAsync(id, None))!.Turns.Count);
    }

    [Fact]
    public async Task TurnCap_AFullThreadRefusesTheNextTurn_AndKeepsWhatItHad()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxTurns = 3 });
        var id = await OpenAsync(store);
        Assert.Equal((ThreadAppendStatus.Appended, 2), await store.AppendAsync(id, Turn("2"), create: false, None));
        Assert.Equal((ThreadAppendStatus.Appended, 3), await store.AppendAsync(id, Turn("3"), create: false, None));
        Assert.Equal((ThreadAppendStatus.Full, 3), await store.AppendAsync(id, Turn("4"), create: false, None));
        Assert.Equal((ThreadAppendStatus.Full, 3), await store.AppendAsync(id, Turn("4"), create: true, None));
        Assert.Equal(["q", "2", "3"], (await store.GetAsync(id, None))!.Turns.Select(t => t.Request).ToArray());
    }

    [Fact]
    public async Task Ttl_AThreadEndsTtlAfterItsLastTurn_AndEveryAppendRefreshesIt()
    {
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { Ttl = TimeSpan.FromHours(3) }, clock);
        var id = await OpenAsync(store);

        clock.Advance(TimeSpan.FromHours(2));
        Assert.NotNull(await store.GetAsync(id, None));
        Assert.Equal(ThreadAppendStatus.Appended, (await store.AppendAsync(id, Turn("refresh"), create: false, None)).Status);

        clock.Advance(TimeSpan.FromHours(2)); // 4 h after the first turn, 2 h after the last: still there
        Assert.NotNull(await store.GetAsync(id, None));

        clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromTicks(1));
        Assert.NotNull(await store.GetAsync(id, None)); // a read does not refresh it …
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Null(await store.GetAsync(id, None)); // … 3 h after the last append it is gone
        Assert.Equal((ThreadAppendStatus.NotFound, 0), await store.AppendAsync(id, Turn("late"), create: false, None));
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.Bytes);
    }

    [Fact]
    public async Task Ttl_AnExpiredThreadAppendedWithCreate_StartsAfresh()
    {
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { Ttl = TimeSpan.FromHours(1) }, clock);
        var id = await OpenAsync(store, Turn("old"));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal((ThreadAppendStatus.Appended, 1), await store.AppendAsync(id, Turn("new"), create: true, None));
        Assert.Equal(["new"], (await store.GetAsync(id, None))!.Turns.Select(t => t.Request).ToArray());
    }

    [Fact]
    public async Task Sweep_DropsExpiredThreadsNeverReadAgain_AndGivesBackTheirBytes()
    {
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { Ttl = TimeSpan.FromHours(1) }, clock);
        for (int i = 0; i < 5; i++)
        {
            await OpenAsync(store, BigTurn($"{i}"));
        }

        clock.Advance(TimeSpan.FromMinutes(30));
        var fresh = await OpenAsync(store, BigTurn("fresh"));
        Assert.Equal(6 * TurnBytes, store.Bytes);

        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(5, store.Sweep());
        Assert.Equal(1, store.Count);
        Assert.Equal(TurnBytes, store.Bytes);
        Assert.NotNull(await store.GetAsync(fresh, None));
        Assert.Equal(0, store.Evicted); // expiry is not eviction
    }

    [Fact]
    public async Task Sweep_RunsByItselfWhenAThreadIsCreatedAMinuteOrMoreAfterTheLast()
    {
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { Ttl = TimeSpan.FromHours(1) }, clock);
        clock.Advance(TimeSpan.FromMinutes(2)); // past the first interval: the first creation sweeps (nothing to sweep)
        await OpenAsync(store);
        await OpenAsync(store);
        clock.Advance(TimeSpan.FromHours(2));
        await OpenAsync(store); // sweeps the two expired ones
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task ThreadLimit_PastIt_TheLeastRecentlyUsedGo_DownTo90PercentInOnePass()
    {
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxThreads = 10 }, clock);
        var ids = new List<Guid>();
        for (int i = 0; i < 10; i++)
        {
            ids.Add(await OpenAsync(store, Turn($"{i}")));
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(10, store.Count);
        Assert.Equal(0, store.Evicted);

        // Use the two oldest: a read and an append make them recent, so the next-oldest go instead.
        Assert.NotNull(await store.GetAsync(ids[0], None));
        clock.Advance(TimeSpan.FromSeconds(1));
        await store.AppendAsync(ids[1], Turn("again"), create: false, None);
        clock.Advance(TimeSpan.FromSeconds(1));

        var newest = await OpenAsync(store, Turn("11th"));
        Assert.Equal(9, store.Count); // 90% of 10, in one pass: not just the one over the limit
        Assert.Equal(2, store.Evicted);
        Assert.Null(await store.GetAsync(ids[2], None));
        Assert.Null(await store.GetAsync(ids[3], None));
        foreach (var kept in ids.Where((_, i) => i is not (2 or 3)).Append(newest))
        {
            Assert.NotNull(await store.GetAsync(kept, None));
        }
    }

    [Fact]
    public async Task ByteLimit_PastIt_TheLeastRecentlyUsedGo_DownTo90Percent_NeverTheThreadBeingWritten()
    {
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxBytes = 10 * TurnBytes, MaxThreads = 1000 }, clock);
        var ids = new List<Guid>();
        for (int i = 0; i < 10; i++)
        {
            ids.Add(await OpenAsync(store, BigTurn($"{i}")));
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(10 * TurnBytes, store.Bytes);
        Assert.Equal(0, store.Evicted);

        // The oldest thread grows past the limit: it is the least recently used before the append, but the one written
        // stays; the next two oldest go (to 90% = 9 turns' bytes).
        Assert.Equal(ThreadAppendStatus.Appended, (await store.AppendAsync(ids[0], BigTurn("grow"), create: false, None)).Status);
        Assert.Equal(9 * TurnBytes, store.Bytes);
        Assert.Equal(2, store.Evicted);
        Assert.Equal(2, (await store.GetAsync(ids[0], None))!.Turns.Count);
        Assert.Null(await store.GetAsync(ids[1], None));
        Assert.Null(await store.GetAsync(ids[2], None));
        Assert.NotNull(await store.GetAsync(ids[3], None));
    }

    [Fact]
    public async Task ByteLimit_AThreadBiggerThanTheLimitOnItsOwn_StaysWhileWritten_AndEveryOtherGoes()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxBytes = 3 * TurnBytes, MaxThreads = 1000 });
        var other = await OpenAsync(store, BigTurn("other"));
        var big = await OpenAsync(store, BigTurn("big"));
        await store.AppendAsync(big, BigTurn("more"), create: false, None);
        await store.AppendAsync(big, BigTurn("more"), create: false, None);
        Assert.Null(await store.GetAsync(other, None));
        Assert.Equal(3, (await store.GetAsync(big, None))!.Turns.Count);
        Assert.Equal(3 * TurnBytes, store.Bytes);
    }

    [Fact]
    public async Task ExpiredThreads_DoNotPileUpInTheEvictionQueue_WhenNoLimitIsReached()
    {
        // Threads that expire are swept from the table; the eviction clock passes them only when a limit is reached,
        // which never happens here, so the store must drop them from its queue by itself.
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxThreads = 100 }, clock);
        for (int round = 0; round < 60; round++)
        {
            for (int i = 0; i < 50; i++)
            {
                await OpenAsync(store);
            }

            clock.Advance(TimeSpan.FromHours(4));
            Assert.Equal(50, store.Sweep());
        }

        var live = await OpenAsync(store);
        Assert.Equal(1, store.Count);
        Assert.InRange(store.Queued, 1, 2 * store.Count + 1024 + 50); // 3,001 threads opened in all
        Assert.NotNull(await store.GetAsync(live, None));
        Assert.Equal(0, store.Evicted);
    }

    [Theory]
    [InlineData(MemoryPressure.High, 50)]
    [InlineData(MemoryPressure.Critical, 25)]
    public async Task MemoryPressure_TrimsToAShareOfTheLimits_LeastRecentlyUsedFirst(MemoryPressure level, int left)
    {
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxThreads = 100 }, clock);
        var ids = new List<Guid>();
        for (int i = 0; i < 80; i++)
        {
            ids.Add(await OpenAsync(store));
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        store.OnMemoryPressure(level);
        Assert.Equal(left, store.Count);
        Assert.Equal(80 - left, store.Evicted);
        Assert.Null(await store.GetAsync(ids[80 - left - 1], None));
        Assert.NotNull(await store.GetAsync(ids[80 - left], None));
        Assert.NotNull(await store.GetAsync(ids[^1], None));
    }

    [Fact]
    public async Task MemoryPressure_ByteShare_AndNormalPressure_OnlySweeps()
    {
        var clock = new FakeTimeProvider();
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxBytes = 8 * TurnBytes, MaxThreads = 1000, Ttl = TimeSpan.FromHours(1) }, clock);
        var expiring = await OpenAsync(store, BigTurn("expiring")); // expires at 60 min
        clock.Advance(TimeSpan.FromMinutes(30));
        for (int i = 0; i < 6; i++)
        {
            await OpenAsync(store, BigTurn($"{i}")); // expire at 90 min
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        clock.Advance(TimeSpan.FromMinutes(30)); // no thread is created after the first expired: only the monitor sweeps it
        Assert.Equal(7, store.Count);
        store.OnMemoryPressure(MemoryPressure.Normal);
        Assert.Equal(6, store.Count);
        Assert.Equal(6 * TurnBytes, store.Bytes);
        Assert.Equal(0, store.Evicted);

        store.OnMemoryPressure(MemoryPressure.High);
        Assert.Equal(4 * TurnBytes, store.Bytes); // half of 8 turns' bytes
        Assert.Equal(4, store.Count);
        Assert.Equal(2, store.Evicted);
        Assert.Null(await store.GetAsync(expiring, None));
    }

    [Fact]
    public async Task KnownModel_IsTheNewestTurnThatAModelAnswered()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions());
        Assert.Null(store.KnownModel(Guid.NewGuid()));
        var id = await OpenAsync(store, Turn(model: null));
        Assert.Null(store.KnownModel(id));
        await store.AppendAsync(id, Turn(model: "glm-4.6"), create: false, None);
        Assert.Equal("glm-4.6", store.KnownModel(id));
        await store.AppendAsync(id, Turn(model: "kimi-k2"), create: false, None);
        await store.AppendAsync(id, Turn(model: null), create: false, None); // a step with no model call
        Assert.Equal("kimi-k2", store.KnownModel(id));
        Assert.Equal("kimi-k2", (await store.GetAsync(id, None))!.Model);
    }

    [Fact]
    public async Task ConcurrentAppendsOnOneThread_EveryTurnRecordedExactlyOnce()
    {
        // 100 appends from 4 threads released at once (a task per append rarely overlaps another on two cores).
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxTurns = 1000 });
        var id = await OpenAsync(store, Turn("first"));
        using var start = new Barrier(4);
        var perWorker = await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            var seen = new List<int>();
            for (int i = w; i < 100; i += 4)
            {
                var (status, turns) = await store.AppendAsync(id, Turn($"t{i}"), create: false, None);
                Assert.Equal(ThreadAppendStatus.Appended, status);
                seen.Add(turns);
            }

            return seen;
        })));
        var counts = perWorker.SelectMany(c => c);

        var thread = await store.GetAsync(id, None);
        Assert.Equal(101, thread!.Turns.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"t{i}").Order(), thread.Turns.Skip(1).Select(t => t.Request).Order());
        Assert.Equal(Enumerable.Range(2, 100), counts.Order()); // each append saw its own count: none overwrote another
        Assert.Equal(thread.Turns.Sum(t => 2L * t.Request.Length + 256), store.Bytes);
    }

    [Fact]
    public async Task ConcurrentCreatesOfOneId_MakeOneThreadHoldingEveryTurn()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxTurns = 1000 });
        var id = Guid.NewGuid();
        using var start = new Barrier(8);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            for (int i = 0; i < 25; i++)
            {
                Assert.Equal(ThreadAppendStatus.Appended, (await store.AppendAsync(id, Turn($"{w}/{i}"), create: true, None)).Status);
            }
        })));

        Assert.Equal(1, store.Count);
        Assert.Equal(200, (await store.GetAsync(id, None))!.Turns.Select(t => t.Request).Distinct().Count());
    }

    [Fact]
    public async Task ConcurrentAppendsPastTheCap_ExactlyTheRoomLeftIsTaken()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxTurns = 50 });
        var id = await OpenAsync(store);
        using var start = new Barrier(4);
        var perWorker = await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            var seen = new List<ThreadAppendStatus>();
            for (int i = 0; i < 25; i++)
            {
                seen.Add((await store.AppendAsync(id, Turn($"{w}/{i}"), create: false, None)).Status);
            }

            return seen;
        })));
        var statuses = perWorker.SelectMany(s => s).ToArray();
        Assert.Equal(49, statuses.Count(s => s == ThreadAppendStatus.Appended));
        Assert.Equal(51, statuses.Count(s => s == ThreadAppendStatus.Full));
        Assert.Equal(50, (await store.GetAsync(id, None))!.Turns.Count);
    }

    [Fact]
    public async Task ConcurrentThreads_UnderEviction_BytesStayConsistentWithWhatIsHeld()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxThreads = 50, MaxTurns = 1000 });
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                var id = Guid.NewGuid();
                ids.Add(id);
                await store.AppendAsync(id, Turn("a"), create: true, None);
                await store.AppendAsync(id, Turn("b"), create: false, None);
            }
        })));

        // Every turn costs 2 + 256 bytes; a thread evicted between its two appends is gone whole — what is still held
        // must add up exactly to the byte count, and to the thread count.
        long held = 0;
        int threads = 0;
        foreach (var id in ids)
        {
            if (await store.GetAsync(id, None) is { } thread)
            {
                held += thread.Turns.Count * (2L + 256);
                threads++;
            }
        }

        Assert.InRange(threads, 1, 50);
        Assert.Equal(store.Count, threads);
        Assert.Equal(held, store.Bytes);
        Assert.Equal(800 - threads, store.Evicted);
    }
}
