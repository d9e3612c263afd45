using System.Text;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;
using ExaiFast.Redis;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExaiFast.Redis.Tests;

/// <summary>
/// Two dispatchers sharing results through a real redis-server, as two daemons do (no sockets): a client's cancel sent
/// through the daemon that waits for a call reaches the daemon that runs it.
/// </summary>
public sealed class RedisSharedResultsTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private readonly List<IAsyncDisposable> _owned = [];

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartNewAsync();

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private async Task<(Dispatcher Dispatcher, RedisSharedResults Shared)> DaemonAsync()
    {
        var connection = RedisConnection.Connect(RedisUrl.Parse(_redis.Url), NullLogger.Instance, metrics: null);
        _owned.Add(connection);
        await Eventually.Until(() => Task.FromResult(connection.IsUp));
        var dispatcher = new Dispatcher(new DispatcherOptions
        {
            LaneSlots = new Dictionary<string, int> { ["local"] = 2 },
            ProgressInterval = TimeSpan.FromMilliseconds(100),
        });
        _owned.Add(dispatcher);
        var shared = new RedisSharedResults(connection, dispatcher, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(100), TimeProvider.System, NullLogger.Instance);
        dispatcher.ShareResults(shared);
        return (dispatcher, shared);
    }

    [Fact]
    public async Task ACancelSentByTheWaiter_CancelsTheCallWhereItRuns_AndTheWaiterGetsThatCancelledResult()
    {
        var ct = TestContext.Current.CancellationToken;
        var (ownerDispatcher, owner) = await DaemonAsync();
        var (_, waiter) = await DaemonAsync();
        var tool = new HoldTool();
        var key = new CallKey("s-cancel", "r1");
        var client = new NullListener();
        using (var args = JsonDocument.Parse("{}"))
        {
            var ticket = ownerDispatcher.Submit(new CallRequest(key, tool, args.RootElement, "local", Stream: false));
            Assert.Equal(SubmitStatus.Accepted, ticket.Status);
            ticket.Listen(client);
        }

        await Eventually.Until(() => Task.FromResult(tool.Started == 1));
        ownerDispatcher.Detach(client, key.Caller); // its connection went away: the call is an orphan, marked in Redis
        SharedLookup running = default;
        await Eventually.Until(async () => (running = await waiter.LookupAsync(key, ct)).RunningOn == owner.DaemonId);

        var wait = waiter.WaitAsync(key, running, () => { }, ct);
        Assert.True(await waiter.CancelElsewhereAsync(key, running, ct));

        var result = await wait.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(ErrorCodes.Cancelled, result.Error?.Code);
        Assert.Equal("cancelled by the client", result.Error?.Message); // the client's reason, not a disconnect or a deadline
        Assert.True(result.RunMs > 0); // it was running: `cancelled` says was_running from this
        await Eventually.Until(() => Task.FromResult(tool.Cancelled == 1 && ownerDispatcher.Inflight == 0 && ownerDispatcher.BusySlots == 0));
        Assert.Equal(ErrorCodes.Cancelled, (await waiter.LookupAsync(key, ct)).Result?.Error?.Code); // what a later re-send gets
        Assert.Equal(1, tool.Started);
    }

    [Fact]
    public async Task ACancelForADaemonThatIsGone_IsNotHeard()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, waiter) = await DaemonAsync();
        var running = new SharedLookup(null, "gone00000000", DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.False(await waiter.CancelElsewhereAsync(new CallKey("s-gone", "r1"), running, ct)); // its caller answers CANCELLED itself

        await _redis.StopAsync();
        Assert.False(await waiter.CancelElsewhereAsync(new CallKey("s-gone", "r2"), running, ct)); // nor with Redis down (nothing waits)
    }

    /// <summary>Runs until cancelled.</summary>
    private sealed class HoldTool : ITool
    {
        private int _started;
        private int _cancelled;

        public int Started => Volatile.Read(ref _started);

        public int Cancelled => Volatile.Read(ref _cancelled);

        public string Name => "hold";

        public string Description => "runs until cancelled";

        public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

        public bool Coalescable => false;

        public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn("local");

        public async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }

            return new ToolOutput("never");
        }
    }

    private sealed class NullListener : ICallListener
    {
        public void OnProgress(CallKey key, ToolCall call, ProgressReport progress)
        {
        }

        public void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk)
        {
        }
    }
}
