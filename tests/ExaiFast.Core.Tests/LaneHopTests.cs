using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>
/// A running call moving to another lane (<see cref="ToolContext.EnterLaneAsync"/>, a fallback to another provider): it
/// runs under that lane's limit, gives its old slot on, waits in that lane's queue holding no slot, is refused by a full
/// queue, and leaks no slot when it is cancelled, reaches its deadline or fails during the hop.
/// </summary>
public class LaneHopTests
{
    private static DispatcherOptions Options(int a = 1, int b = 1, int c = 1, int queue = 64) => new()
    {
        LaneSlots = new Dictionary<string, int> { ["a"] = a, ["b"] = b, ["c"] = c },
        QueueDepth = queue,
        GlobalMaxInflight = 10_000,
        CallerMaxInflight = 10_000,
        CallTimeout = TimeSpan.FromSeconds(60),
    };

    private static CallRequest Request(ITool tool, string id, string lane, string[] path, string[]? wait = null, TimeSpan? timeout = null, bool yields = false)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = id, ["lane"] = lane, ["path"] = path, ["wait"] = wait ?? [],
        }.Concat(yields ? [new KeyValuePair<string, object>("yield", true)] : []).ToDictionary());
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey("s1", id), tool, doc.RootElement.Clone(), lane, Stream: false, Timeout: timeout);
    }

    private static void Submit(Dispatcher d, in CallRequest request, ICallListener listener) =>
        Assert.Equal(SubmitStatus.Accepted, d.Submit(request, listener).Status);

    private static Task AllSlotsBack(Dispatcher d) =>
        DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Queued == 0 && d.Inflight == 0);

    [Fact]
    public async Task HopIntoAFreeLane_RunsThere_AndItsOldSlotIsFreeForAnother()
    {
        await using var d = new Dispatcher(Options());
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "x", "a", path: ["b"], wait: ["b"]), listener);
        await tool.ReachedAsync("x", "b");
        Assert.Equal((0, 0), d.LoadOf("a"));
        Assert.Equal((1, 0), d.LoadOf("b"));

        // a's one slot is free: another call runs there while x is in b.
        Submit(d, Request(tool, "y", "a", path: [], wait: ["a"]), listener);
        await tool.ReachedAsync("y", "a");
        tool.Open("y", "a");
        tool.Open("x", "b");

        Assert.Equal("b", (await listener.ResultAsync(new("s1", "x"))).Text); // ToolContext.Lane follows the hop
        Assert.Equal("a", (await listener.ResultAsync(new("s1", "y"))).Text);
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task HopIntoABusyLane_WaitsInItsQueue_HoldingNoSlot_AndRunsWhenTheSlotComesFree()
    {
        await using var d = new Dispatcher(Options());
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "holder", "b", path: [], wait: ["b"]), listener);
        await tool.ReachedAsync("holder", "b");
        Submit(d, Request(tool, "x", "a", path: ["b"]), listener);
        await DispatcherTests.Eventually(() => d.LoadOf("b") == (1, 1));
        Assert.Equal((0, 0), d.LoadOf("a")); // it gave a's slot back while it waits

        // The one who came to a meanwhile runs at once.
        Submit(d, Request(tool, "y", "a", path: []), listener);
        Assert.True((await listener.ResultAsync(new("s1", "y"))).Ok);

        tool.Open("holder", "b");
        Assert.Equal("b", (await listener.ResultAsync(new("s1", "x"))).Text);
        Assert.True((await listener.ResultAsync(new("s1", "holder"))).Ok);
        Assert.Equal(1, tool.MaxIn("b"));
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task HopIntoAFullQueue_IsRefusedWithOverCapacity_AndTheCallsSlotIsGivenBack()
    {
        await using var d = new Dispatcher(Options(queue: 1));
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "holder", "b", path: [], wait: ["b"]), listener);
        await tool.ReachedAsync("holder", "b");
        Submit(d, Request(tool, "queued", "b", path: []), listener);
        Assert.Equal((1, 1), d.LoadOf("b"));

        Submit(d, Request(tool, "x", "a", path: ["b"]), listener);
        var refused = await listener.ResultAsync(new("s1", "x"));
        Assert.Equal(ErrorCodes.OverCapacity, refused.Error!.Code);
        Assert.Equal("lane 'b' queue is full (1)", refused.Error.Message);
        Assert.NotNull(refused.Error.RetryAfterSeconds);
        await DispatcherTests.Eventually(() => d.LoadOf("a") == (0, 0));
        Assert.Equal((1, 1), d.LoadOf("b"));

        tool.Open("holder", "b");
        Assert.True((await listener.ResultAsync(new("s1", "queued"))).Ok);
        await AllSlotsBack(d);
        Assert.Equal(1, listener.CompletionsOf(new("s1", "x")));
    }

    [Fact]
    public async Task CancelWhileWaitingToHopIn_AnswersCancelledOnce_LeaksNoSlot_AndTheNextInLineGetsTheSlot()
    {
        await using var d = new Dispatcher(Options());
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "holder", "b", path: [], wait: ["b"]), listener);
        await tool.ReachedAsync("holder", "b");
        Submit(d, Request(tool, "x", "a", path: ["b"]), listener);
        await DispatcherTests.Eventually(() => d.LoadOf("b") == (1, 1));
        Submit(d, Request(tool, "after", "b", path: [], wait: ["b"]), listener); // behind x in b's queue

        Assert.True(d.Cancel(new CallKey("s1", "x")).Found);
        Assert.Equal(ErrorCodes.Cancelled, (await listener.ResultAsync(new("s1", "x"))).Error!.Code);
        Assert.Equal((0, 0), d.LoadOf("a"));

        // The slot skips the call that stopped waiting and goes to the next in line.
        tool.Open("holder", "b");
        await tool.ReachedAsync("after", "b");
        Assert.Equal((1, 0), d.LoadOf("b"));
        tool.Open("after", "b");
        Assert.True((await listener.ResultAsync(new("s1", "after"))).Ok);
        await AllSlotsBack(d);
        Assert.Equal(1, listener.CompletionsOf(new("s1", "x")));
        Assert.Equal(1, tool.MaxIn("b"));
    }

    [Fact]
    public async Task DeadlineWhileWaitingToHopIn_AnswersTimeout_AndLeaksNoSlot()
    {
        await using var d = new Dispatcher(Options());
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "holder", "b", path: [], wait: ["b"]), listener);
        await tool.ReachedAsync("holder", "b");
        Submit(d, Request(tool, "x", "a", path: ["b"], timeout: TimeSpan.FromMilliseconds(200)), listener);

        Assert.Equal(ErrorCodes.Timeout, (await listener.ResultAsync(new("s1", "x"))).Error!.Code);
        await DispatcherTests.Eventually(() => d.LoadOf("a") == (0, 0));
        tool.Open("holder", "b");
        Assert.True((await listener.ResultAsync(new("s1", "holder"))).Ok);
        await AllSlotsBack(d);
        Assert.Equal(1, listener.CompletionsOf(new("s1", "x")));
    }

    [Fact]
    public async Task CancelAfterTheHop_EndsTheCall_AndGivesBackTheNewLanesSlot()
    {
        await using var d = new Dispatcher(Options());
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "x", "a", path: ["b"], wait: ["b"]), listener);
        await tool.ReachedAsync("x", "b");
        d.Cancel(new CallKey("s1", "x"));
        Assert.Equal(ErrorCodes.Cancelled, (await listener.ResultAsync(new("s1", "x"))).Error!.Code);
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task ACallQueuedInTheOldLane_StartsWhenTheHopperLeaves()
    {
        await using var d = new Dispatcher(Options());
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "x", "a", path: ["b"], wait: ["a", "b"]), listener);
        await tool.ReachedAsync("x", "a");
        Submit(d, Request(tool, "q", "a", path: [], wait: ["a"]), listener);
        Assert.Equal((1, 1), d.LoadOf("a"));

        tool.Open("x", "a");
        await tool.ReachedAsync("x", "b");
        await tool.ReachedAsync("q", "a"); // started by the slot x gave on
        Assert.Equal((1, 0), d.LoadOf("a"));
        Assert.Equal((1, 0), d.LoadOf("b"));
        tool.Open("q", "a");
        tool.Open("x", "b");
        Assert.True((await listener.ResultAsync(new("s1", "q"))).Ok);
        Assert.Equal("b", (await listener.ResultAsync(new("s1", "x"))).Text);
        Assert.Equal(1, tool.MaxIn("a"));
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task TwoCallsSwappingLanes_BothRun_NeitherWaitsForTheOther()
    {
        await using var d = new Dispatcher(Options());
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "x", "a", path: ["b"], wait: ["a"]), listener);
        Submit(d, Request(tool, "y", "b", path: ["a"], wait: ["b"]), listener);
        await tool.ReachedAsync("x", "a");
        await tool.ReachedAsync("y", "b");
        tool.Open("x", "a");
        tool.Open("y", "b");

        Assert.Equal("b", (await listener.ResultAsync(new("s1", "x"))).Text);
        Assert.Equal("a", (await listener.ResultAsync(new("s1", "y"))).Text);
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task HopToTheLaneItIsIn_DoesNothing_AndToAnUnknownLane_FailsTheCallAndGivesItsSlotBack()
    {
        await using var d = new Dispatcher(Options());
        var tool = new HopTool();
        var listener = new RecordingListener();

        Submit(d, Request(tool, "same", "a", path: ["a", "a"]), listener);
        Assert.Equal("a", (await listener.ResultAsync(new("s1", "same"))).Text);

        Submit(d, Request(tool, "nowhere", "a", path: ["zz"]), listener);
        Assert.Equal(ErrorCodes.InternalError, (await listener.ResultAsync(new("s1", "nowhere"))).Error!.Code);
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task ManyCallsHoppingAtRandom_NeverExceedALanesSlots_AreEachAnsweredOnce_AndGiveEverySlotBack()
    {
        await using var d = new Dispatcher(Options(a: 1, b: 2, c: 3, queue: 1000));
        var tool = new HopTool();
        var listener = new RecordingListener();
        var random = new Random(1234);
        string[] lanes = ["a", "b", "c"];
        var keys = new List<CallKey>();
        for (int i = 0; i < 300; i++)
        {
            string id = $"r{i}";
            string[] path = [.. Enumerable.Range(0, random.Next(1, 5)).Select(_ => lanes[random.Next(3)])];
            // Some reach their deadline and some are cancelled, wherever they are: running, queued, or waiting to hop in.
            TimeSpan? timeout = random.Next(10) == 0 ? TimeSpan.FromMilliseconds(random.Next(1, 5)) : null;
            Submit(d, Request(tool, id, lanes[random.Next(3)], path, timeout: timeout, yields: true), listener);
            keys.Add(new CallKey("s1", id));
            if (random.Next(10) == 0)
            {
                d.Cancel(keys[random.Next(keys.Count)]);
            }
        }

        foreach (var key in keys)
        {
            await listener.ResultAsync(key);
        }

        await AllSlotsBack(d);
        Assert.True(tool.MaxIn("a") <= 1, $"a ran {tool.MaxIn("a")} at once");
        Assert.True(tool.MaxIn("b") <= 2, $"b ran {tool.MaxIn("b")} at once");
        Assert.True(tool.MaxIn("c") <= 3, $"c ran {tool.MaxIn("c")} at once");
        Assert.All(keys, k => Assert.Equal(1, listener.CompletionsOf(k)));
    }
}
