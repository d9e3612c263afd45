using ExaiFast.Core.Tools;
using ExaiFast.Redis;
using ExaiFast.Tools.Threads;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ExaiFast.Redis.Tests;

/// <summary>The Redis thread store against a real redis-server: the semantics of MemoryThreadStore, shared by two multiplexers.</summary>
public sealed class RedisThreadStoreTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private readonly List<RedisConnection> _connections = [];

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartNewAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _connections)
        {
            await c.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    // The multiplexer connects in the background: wait until it is up.
    private async Task<RedisConnection> ConnectAsync()
    {
        var connection = RedisConnection.Connect(RedisUrl.Parse(_redis.Url), NullLogger.Instance, metrics: null);
        _connections.Add(connection);
        await Eventually.Until(() => Task.FromResult(connection.IsUp));
        return connection;
    }

    private async Task<RedisThreadStore> StoreAsync(ThreadStoreOptions? options = null, RedisConnection? connection = null) =>
        new(connection ?? await ConnectAsync(), options ?? new ThreadStoreOptions());

    private static ThreadTurn Turn(string request, string? model = null) => new()
    {
        Tool = "chat",
        Request = request,
        Answer = "answer to " + request,
        Model = model,
        Provider = model is null ? null : "local",
        Files = ["/tmp/a.cs"],
        PromptTokens = 12,
        CompletionTokens = 34,
        At = DateTimeOffset.UnixEpoch.AddDays(20_000),
    };

    [Fact]
    public async Task Append_CreatesThenAppends_AndGetReturnsEveryFieldInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = await StoreAsync();
        var id = Guid.NewGuid();
        var step = new WorkflowStep
        {
            StepNumber = 2,
            TotalSteps = 3,
            NextStepRequired = true,
            Findings = "a race in Complete",
            FilesChecked = ["a.cs", "b.cs"],
            RelevantFiles = ["a.cs"],
            RelevantContext = ["Dispatcher.Complete"],
            IssuesFound = [new WorkflowIssue("high", "lost turn")],
            Confidence = "medium",
            Hypothesis = "two writers",
            BacktrackFromStep = 1,
        };

        Assert.Equal((ThreadAppendStatus.Appended, 1), await store.AppendAsync(id, Turn("first", "local-model"), create: true, ct));
        Assert.Equal((ThreadAppendStatus.Appended, 2), await store.AppendAsync(id, Turn("second") with { Tool = "debug", Step = step }, create: false, ct));

        var thread = await store.GetAsync(id, ct);
        Assert.NotNull(thread);
        Assert.Equal(id, thread.Id);
        Assert.InRange(thread.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(["first", "second"], thread.Turns.Select(t => t.Request));
        Assert.Equal(Turn("first", "local-model") with { Files = thread.Turns[0].Files }, thread.Turns[0]);
        Assert.Equal(["/tmp/a.cs"], thread.Turns[0].Files);
        var readStep = thread.Turns[1].Step!;
        Assert.Equal(step with { FilesChecked = readStep.FilesChecked, RelevantFiles = readStep.RelevantFiles, RelevantContext = readStep.RelevantContext, IssuesFound = readStep.IssuesFound }, readStep);
        Assert.Equal(step.FilesChecked, readStep.FilesChecked);
        Assert.Equal(step.IssuesFound, readStep.IssuesFound);
        Assert.Equal("local-model", thread.Model);
        Assert.Equal("redis", store.Kind);
    }

    [Fact]
    public async Task Append_WithoutCreate_OnAMissingThread_IsNotFound_AndCreatesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = await StoreAsync();
        var id = Guid.NewGuid();
        Assert.Equal((ThreadAppendStatus.NotFound, 0), await store.AppendAsync(id, Turn("x"), create: false, ct));
        Assert.Null(await store.GetAsync(id, ct));
    }

    [Fact]
    public async Task Append_OnAFullThread_IsFull_AndRecordsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = await StoreAsync(new ThreadStoreOptions { MaxTurns = 3 });
        var id = Guid.NewGuid();
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal((ThreadAppendStatus.Appended, i), await store.AppendAsync(id, Turn($"t{i}"), create: i == 1, ct));
        }

        Assert.Equal((ThreadAppendStatus.Full, 3), await store.AppendAsync(id, Turn("t4"), create: false, ct));
        Assert.Equal((ThreadAppendStatus.Full, 3), await store.AppendAsync(id, Turn("t4"), create: true, ct));
        Assert.Equal(["t1", "t2", "t3"], (await store.GetAsync(id, ct))!.Turns.Select(t => t.Request));
    }

    [Fact]
    public async Task Recent_ListsTheNewestUpdatedThreads_NewestFirst_WithoutExpiredOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        var connection = await ConnectAsync();
        var store = await StoreAsync(connection: connection);
        var ids = new List<Guid>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add(Guid.NewGuid());
            await store.AppendAsync(ids[i], Turn($"thread {i}\nmore") with { At = DateTimeOffset.UnixEpoch.AddDays(20_000).AddSeconds(i) }, create: true, ct);
        }

        // The first thread gains a turn, newest of all; the fourth goes (as if expired).
        await store.AppendAsync(ids[0], Turn("later", model: "m2") with { Tool = "debug", At = DateTimeOffset.UnixEpoch.AddDays(20_000).AddSeconds(10) }, create: false, ct);
        await connection.Database.KeyDeleteAsync("exaifast:thread:" + ids[3].ToString("D"));
        await Eventually.Until(async () => (await store.RecentAsync(10, ct)).Count == 4 && (await store.RecentAsync(10, ct))[0].Id == ids[0]); // the index is written after the append

        var recent = await store.RecentAsync(3, ct);

        Assert.Equal([ids[0], ids[4], ids[2]], recent.Select(t => t.Id));
        Assert.Equal("thread 0", recent[0].Title);
        Assert.Equal("debug", recent[0].Tool);
        Assert.Equal("m2", recent[0].Model);
        Assert.Equal(2, recent[0].Turns);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(20_000).AddSeconds(10), recent[0].UpdatedAt);
        Assert.Equal(1, recent[1].Turns);
    }

    [Fact]
    public async Task Thread_Expires_AfterItsTtl_AndEachAppendRefreshesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var connection = await ConnectAsync();
        var store = await StoreAsync(new ThreadStoreOptions { Ttl = TimeSpan.FromSeconds(4) }, connection);
        var id = Guid.NewGuid();
        var key = (RedisKey)("exaifast:thread:" + id.ToString("D"));
        await store.AppendAsync(id, Turn("one"), create: true, ct);
        Assert.InRange((await connection.Database.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));

        // Let the TTL run down below half, then append: it is back near its full length.
        await Eventually.Until(async () => (await connection.Database.KeyTimeToLiveAsync(key)) is { } left && left < TimeSpan.FromSeconds(2));
        Assert.Equal(ThreadAppendStatus.Appended, (await store.AppendAsync(id, Turn("two"), create: false, ct)).Status);
        Assert.InRange((await connection.Database.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));

        // Without appends it ends: gone for reads and for appends.
        await Eventually.Until(async () => await store.GetAsync(id, ct) is null);
        Assert.Equal((ThreadAppendStatus.NotFound, 0), await store.AppendAsync(id, Turn("three"), create: false, ct));
    }

    [Fact]
    public async Task ConcurrentAppends_FromManyTasksAndTwoMultiplexers_LoseNoTurn()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new ThreadStoreOptions { MaxTurns = 1000 };
        var a = await StoreAsync(options);
        var b = await StoreAsync(options); // another multiplexer: as another daemon would
        var id = Guid.NewGuid();
        const int Writers = 400;
        var results = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
            await (i % 2 == 0 ? a : b).AppendAsync(id, Turn($"turn {i}"), create: true, ct), ct)));

        Assert.All(results, r => Assert.Equal(ThreadAppendStatus.Appended, r.Status));
        Assert.Equal(Enumerable.Range(1, Writers), results.Select(r => r.Turns).Order()); // each saw a distinct count
        var thread = (await b.GetAsync(id, ct))!;
        Assert.Equal(Enumerable.Range(0, Writers).Select(i => $"turn {i}").Order(), thread.Turns.Select(t => t.Request).Order());
    }

    [Fact]
    public async Task ConcurrentAppends_OnACappedThread_StopExactlyAtTheCap()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new ThreadStoreOptions { MaxTurns = 20 };
        var a = await StoreAsync(options);
        var b = await StoreAsync(options);
        var id = Guid.NewGuid();
        await a.AppendAsync(id, Turn("first"), create: true, ct);
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
            await (i % 2 == 0 ? a : b).AppendAsync(id, Turn($"turn {i}"), create: false, ct), ct)));

        Assert.Equal(19, results.Count(r => r.Status == ThreadAppendStatus.Appended));
        Assert.Equal(81, results.Count(r => r.Status == ThreadAppendStatus.Full));
        Assert.Equal(20, (await a.GetAsync(id, ct))!.Turns.Count);
    }

    [Fact]
    public async Task RedisDown_ThrowsStoreUnavailable_NamingTheStore_AndRecoversWhenItIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        var connection = await ConnectAsync();
        var store = await StoreAsync(connection: connection);
        var id = Guid.NewGuid();
        await store.AppendAsync(id, Turn("before"), create: true, ct);

        await _redis.StopAsync();
        await Eventually.Until(() => Task.FromResult(!connection.IsUp));
        var append = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.AppendAsync(id, Turn("during"), create: false, ct));
        Assert.Contains("conversation store (redis)", append.Message);
        Assert.DoesNotContain("127.0.0.1", append.Message);
        Assert.True(append.RetryAfterSeconds > 0);
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.GetAsync(id, ct));

        await _redis.StartAsync(); // empty again: no persistence
        await Eventually.Until(() => Task.FromResult(connection.IsUp));
        await Eventually.Until(async () =>
        {
            try
            {
                return (await store.AppendAsync(id, Turn("after"), create: true, ct)).Status == ThreadAppendStatus.Appended;
            }
            catch (StoreUnavailableException)
            {
                return false; // the multiplexer is still reconnecting
            }
        });
        Assert.Equal(["after"], (await store.GetAsync(id, ct))!.Turns.Select(t => t.Request));
    }
}
