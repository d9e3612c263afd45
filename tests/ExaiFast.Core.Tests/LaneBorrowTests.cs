using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>
/// A running call borrowing extra slots of other lanes for side requests (<see cref="ToolContext.BorrowLaneAsync"/>,
/// consensus asking several providers at once): each borrow counts against its lane's limit, waits in its queue when
/// the lane is full, keeps the call's own slot, and gives back exactly what it took — also when it is cancelled while
/// waiting, and when the queue refuses it.
/// </summary>
public class LaneBorrowTests
{
    private static DispatcherOptions Options(int queue = 64) => new()
    {
        LaneSlots = new Dictionary<string, int> { ["home"] = 4, ["p"] = 1, ["q"] = 1 },
        QueueDepth = queue,
        GlobalMaxInflight = 10_000,
        CallerMaxInflight = 10_000,
        CallTimeout = TimeSpan.FromSeconds(60),
    };

    private static CallRequest Request(ITool tool, string id, string[] borrow, int waitMs = 60_000)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = id, ["borrow"] = borrow, ["wait_ms"] = waitMs });
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey("s1", id), tool, doc.RootElement.Clone(), "home", Stream: false, Timeout: null);
    }

    private static void Submit(Dispatcher d, in CallRequest request, ICallListener listener) =>
        Assert.Equal(SubmitStatus.Accepted, d.Submit(request, listener).Status);

    [Fact]
    public async Task ABorrowCountsInItsLane_TheSecondWaits_AndRunsWhenTheFirstGivesItBack()
    {
        await using var d = new Dispatcher(Options());
        var tool = new BorrowTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "x", ["p", "q"]), listener);
        await tool.ReachedAsync("x", "p");
        await tool.ReachedAsync("x", "q");
        Assert.Equal((1, 0), d.LoadOf("p"));
        Assert.Equal((1, 0), d.LoadOf("q"));
        Assert.Equal((1, 0), d.LoadOf("home")); // its own slot is kept

        Submit(d, Request(tool, "y", ["p"]), listener);
        await DispatcherTests.Eventually(() => d.LoadOf("p") == (1, 1)); // waits in p's queue
        Assert.False(tool.HasReached("y", "p"));

        tool.Open("x", "p");
        await tool.ReachedAsync("y", "p"); // x gave p's slot back: y has it
        tool.Open("x", "q");
        tool.Open("y", "p");
        Assert.True((await listener.ResultAsync(new("s1", "x"))).Ok);
        Assert.True((await listener.ResultAsync(new("s1", "y"))).Ok);
        Assert.Equal(1, tool.MaxIn("p"));
        await DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Queued == 0 && d.Inflight == 0);
    }

    [Fact]
    public async Task ABorrowCancelledWhileItWaits_TakesNoSlot_AndTheNextWaiterGetsIt()
    {
        await using var d = new Dispatcher(Options());
        var tool = new BorrowTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "holder", ["p"]), listener);
        await tool.ReachedAsync("holder", "p");
        Submit(d, Request(tool, "quitter", ["p"], waitMs: 50), listener); // gives up waiting after 50 ms
        Submit(d, Request(tool, "patient", ["p"]), listener);
        await DispatcherTests.Eventually(() => tool.TimedOut("quitter"));

        tool.Open("holder", "p");
        await tool.ReachedAsync("patient", "p");
        tool.Open("patient", "p");
        Assert.True((await listener.ResultAsync(new("s1", "quitter"))).Ok);
        Assert.True((await listener.ResultAsync(new("s1", "patient"))).Ok);
        Assert.False(tool.HasReached("quitter", "p"));
        await DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Queued == 0 && d.Inflight == 0);
    }

    [Fact]
    public async Task ABorrowFromAFullQueue_IsRefused_AndTheCallKeepsItsOwnSlot()
    {
        await using var d = new Dispatcher(Options(queue: 1));
        var tool = new BorrowTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "holder", ["p"]), listener);
        await tool.ReachedAsync("holder", "p");
        Submit(d, Request(tool, "waiter", ["p"]), listener);
        await DispatcherTests.Eventually(() => d.LoadOf("p") == (1, 1));
        Submit(d, Request(tool, "refused", ["p"]), listener);

        Assert.True((await listener.ResultAsync(new("s1", "refused"))).Ok); // the tool saw LaneFullException and answered
        Assert.True(tool.Refused("refused"));
        tool.Open("holder", "p");
        await tool.ReachedAsync("waiter", "p");
        tool.Open("waiter", "p");
        Assert.True((await listener.ResultAsync(new("s1", "waiter"))).Ok);
        await DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Queued == 0 && d.Inflight == 0);
    }

    [Fact]
    public async Task ManyCallsBorrowingAtOnce_NeverExceedALanesSlots_AndGiveEverySlotBack()
    {
        await using var d = new Dispatcher(Options(queue: 10_000) with { LaneSlots = new Dictionary<string, int> { ["home"] = 50, ["p"] = 2, ["q"] = 3 } });
        var tool = new BorrowTool { Gated = false };
        var listener = new RecordingListener();
        for (int i = 0; i < 200; i++)
        {
            Submit(d, Request(tool, $"c{i}", i % 3 == 0 ? ["p", "q"] : i % 3 == 1 ? ["p"] : ["q", "p"]), listener);
        }

        for (int i = 0; i < 200; i++)
        {
            Assert.True((await listener.ResultAsync(new("s1", $"c{i}"))).Ok);
        }

        Assert.True(tool.MaxIn("p") <= 2, $"p ran {tool.MaxIn("p")} at once");
        Assert.True(tool.MaxIn("q") <= 3, $"q ran {tool.MaxIn("q")} at once");
        await DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Queued == 0 && d.Inflight == 0);
    }

    /// <summary>Borrows each lane of <c>borrow</c> at once, holds each until the test opens it (when gated), then gives it back.</summary>
    private sealed class BorrowTool : ITool
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _reached = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int[]> _counts = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, string> _outcomes = new(StringComparer.Ordinal);

        public bool Gated { get; init; } = true;

        public string Name => "borrow";

        public string Description => "borrows lanes";

        public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

        public bool Coalescable => false;

        public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn("home");

        public Task ReachedAsync(string id, string lane) => Stop(_reached, id, lane).Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        public bool HasReached(string id, string lane) => Stop(_reached, id, lane).Task.IsCompleted;

        public void Open(string id, string lane) => Stop(_gates, id, lane).TrySetResult();

        public int MaxIn(string lane) => _counts.TryGetValue(lane, out var c) ? Volatile.Read(ref c[1]) : 0;

        public bool TimedOut(string id) => _outcomes.TryGetValue(id, out var o) && o == "timeout";

        public bool Refused(string id) => _outcomes.TryGetValue(id, out var o) && o == "refused";

        public async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
        {
            var args = context.Arguments;
            string id = args.GetProperty("id").GetString()!;
            int waitMs = args.GetProperty("wait_ms").GetInt32();
            var lanes = args.GetProperty("borrow").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var ctx = context;
            await Task.WhenAll(lanes.Select(lane => UseAsync(ctx, id, lane, waitMs, cancellationToken)));
            return new ToolOutput("done", "local", "borrow");
        }

        private async Task UseAsync(ToolContext context, string id, string lane, int waitMs, CancellationToken cancellationToken)
        {
            using var own = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            own.CancelAfter(waitMs);
            LaneLease lease;
            try
            {
                lease = await context.BorrowLaneAsync(lane, own.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                _outcomes[id] = "timeout";
                return;
            }
            catch (LaneFullException)
            {
                _outcomes[id] = "refused";
                return;
            }

            using (lease)
            {
                var c = _counts.GetOrAdd(lane, _ => new int[2]);
                int now = Interlocked.Increment(ref c[0]);
                int max;
                while (now > (max = Volatile.Read(ref c[1])) && Interlocked.CompareExchange(ref c[1], now, max) != max)
                {
                }

                Stop(_reached, id, lane).TrySetResult();
                if (Gated)
                {
                    await Stop(_gates, id, lane).Task.WaitAsync(cancellationToken);
                }
                else
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref c[0]);
            }
        }

        private static TaskCompletionSource Stop(ConcurrentDictionary<string, TaskCompletionSource> map, string id, string lane) =>
            map.GetOrAdd($"{id}@{lane}", _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
