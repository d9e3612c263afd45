using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>
/// The global limit caps the calls running at once, all lanes together; a call beyond it waits in its lane's queue —
/// on its deadline, cancellable — and starts when a running call ends in any lane; only a full queue refuses it.
/// </summary>
public class RunningLimitTests
{
    private static DispatcherOptions Options(int global, int a = 4, int b = 4, int queue = 64) => new()
    {
        LaneSlots = new Dictionary<string, int> { ["a"] = a, ["b"] = b },
        QueueDepth = queue,
        GlobalMaxInflight = global,
        CallerMaxInflight = 10_000,
        CallTimeout = TimeSpan.FromSeconds(60),
    };

    private static CallRequest Hop(HopTool tool, string id, string lane, string[]? path = null, string[]? wait = null)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = id, ["lane"] = lane, ["path"] = path ?? [], ["wait"] = wait ?? [lane] });
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey("s1", id), tool, doc.RootElement.Clone(), lane, Stream: false);
    }

    private static Task AllSlotsBack(Dispatcher d) =>
        DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Queued == 0 && d.Inflight == 0);

    [Fact]
    public async Task BeyondTheLimit_ACallWaitsInItsLane_AndStartsWhenACallOfAnotherLaneEnds()
    {
        await using var d = new Dispatcher(Options(global: 2));
        var tool = new HopTool();
        var listener = new RecordingListener();
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Hop(tool, "x", "a"), listener).Status);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Hop(tool, "y", "b"), listener).Status);
        await tool.ReachedAsync("x", "a");
        await tool.ReachedAsync("y", "b");

        // Lane a has three free slots, but two calls run already: z waits in a's queue instead of being refused.
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Hop(tool, "z", "a"), listener).Status);
        Assert.Equal((1, 1), d.LoadOf("a"));

        tool.Open("y", "b"); // a call of the other lane ends: its running slot goes to a's waiting call
        Assert.Equal("b", (await listener.ResultAsync(new("s1", "y"))).Text);
        await tool.ReachedAsync("z", "a");
        Assert.Equal((2, 0), d.LoadOf("a"));
        Assert.Equal((0, 0), d.LoadOf("b"));

        tool.Open("x", "a");
        tool.Open("z", "a");
        Assert.True((await listener.ResultAsync(new("s1", "x"))).Ok);
        Assert.True((await listener.ResultAsync(new("s1", "z"))).Ok);
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task ARunningSlot_GoesToTheLaneThatWaitedForOne_BeforeTheNextCallOfTheLaneItEndsIn()
    {
        await using var d = new Dispatcher(Options(global: 1, a: 1, b: 1));
        var tool = new HopTool();
        var listener = new RecordingListener();
        d.Submit(Hop(tool, "a1", "a"), listener);
        await tool.ReachedAsync("a1", "a");
        d.Submit(Hop(tool, "b1", "b"), listener); // b has a free slot and waits for the running slot a1 holds
        d.Submit(Hop(tool, "a2", "a"), listener); // a's one slot is a1's

        tool.Open("a1", "a"); // a1 ends: its running slot goes to b, which waited for it, not on to a2
        await tool.ReachedAsync("b1", "b");
        Assert.False(tool.ReachedAsync("a2", "a").IsCompleted);
        Assert.Equal((0, 1), d.LoadOf("a"));

        tool.Open("b1", "b"); // then a's turn
        await tool.ReachedAsync("a2", "a");
        tool.Open("a2", "a");
        Assert.True((await listener.ResultAsync(new("s1", "a2"))).Ok);
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task OnlyAFullQueue_RefusesACallBeyondTheLimit()
    {
        await using var d = new Dispatcher(Options(global: 1, queue: 2));
        var tool = new HopTool();
        var listener = new RecordingListener();
        d.Submit(Hop(tool, "x", "a"), listener);
        await tool.ReachedAsync("x", "a");
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Hop(tool, "y", "a"), listener).Status);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Hop(tool, "z", "a"), listener).Status);

        var refused = d.Submit(Hop(tool, "w", "a"), listener);
        Assert.Equal(SubmitStatus.Refused, refused.Status);
        Assert.Equal(ErrorCodes.OverCapacity, refused.Result!.Error!.Code);
        Assert.Contains("queue is full", refused.Result.Error.Message);

        foreach (string id in new[] { "x", "y", "z" })
        {
            await tool.ReachedAsync(id, "a");
            tool.Open(id, "a");
            Assert.True((await listener.ResultAsync(new("s1", id))).Ok);
        }

        await AllSlotsBack(d);
    }

    [Fact]
    public async Task ThirtyConcurrentCalls_OverALimitOfThree_AllComplete_AndNoMoreRunAtOnceThanTheLimit()
    {
        await using var d = new Dispatcher(Options(global: 3, a: 8));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        for (int i = 0; i < 30; i++)
        {
            using var doc = JsonDocument.Parse("""{"ms":20}""");
            Assert.Equal(SubmitStatus.Accepted, d.Submit(new CallRequest(new CallKey("s1", $"c{i}"), tool, doc.RootElement.Clone(), "a", Stream: false), listener).Status);
        }

        for (int i = 0; i < 30; i++)
        {
            Assert.True((await listener.ResultAsync(new("s1", $"c{i}"))).Ok);
        }

        Assert.Equal(30, tool.Started);
        Assert.InRange(tool.MaxRunning, 1, 3); // the lane has 8 slots: the global limit is what held them to 3
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task AWaitingCall_ThatIsCancelled_IsAnsweredAtOnce_NeverStarts_AndItsPlaceGoesToTheNext()
    {
        await using var d = new Dispatcher(Options(global: 1));
        var tool = new HopTool();
        var listener = new RecordingListener();
        d.Submit(Hop(tool, "x", "a"), listener);
        await tool.ReachedAsync("x", "a");
        d.Submit(Hop(tool, "y", "b"), listener);
        d.Submit(Hop(tool, "z", "b"), listener);

        Assert.True(d.Cancel(new("s1", "y")).Found);
        Assert.Equal(ErrorCodes.Cancelled, (await listener.ResultAsync(new("s1", "y"))).Error!.Code);

        tool.Open("x", "a");
        await tool.ReachedAsync("z", "b"); // y's place in b's queue is passed over, and z gets the running slot
        tool.Open("z", "b");
        Assert.True((await listener.ResultAsync(new("s1", "z"))).Ok);
        Assert.False(tool.ReachedAsync("y", "b").IsCompleted); // y never started
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task AWaitingCall_WhoseDeadlinePasses_EndsTimedOut_NeverStarts_AndItsPlaceGoesToTheNext()
    {
        await using var d = new Dispatcher(Options(global: 1));
        var tool = new HopTool();
        var listener = new RecordingListener();
        d.Submit(Hop(tool, "x", "a"), listener);
        await tool.ReachedAsync("x", "a");
        d.Submit(Hop(tool, "y", "b") with { Timeout = TimeSpan.FromMilliseconds(200) }, listener); // waits on its deadline
        d.Submit(Hop(tool, "z", "b"), listener);

        // Nothing ends while y waits: its deadline answers it, not a refusal at admission and not a wait for ever.
        var y = await listener.ResultAsync(new("s1", "y"));
        Assert.Equal(ErrorCodes.Timeout, y.Error!.Code);
        Assert.False(tool.ReachedAsync("z", "b").IsCompleted); // z still waits for x

        tool.Open("x", "a");
        await tool.ReachedAsync("z", "b");
        tool.Open("z", "b");
        Assert.True((await listener.ResultAsync(new("s1", "z"))).Ok);
        Assert.False(tool.ReachedAsync("y", "b").IsCompleted); // y never started
        Assert.Equal(1, listener.CompletionsOf(new("s1", "y")));
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task QueuedCalls_ThatTimedOut_NoLongerCountAsQueued_NorFillTheQueue()
    {
        await using var d = new Dispatcher(Options(global: 10, a: 1, queue: 3));
        var tool = new HopTool();
        var listener = new RecordingListener();
        d.Submit(Hop(tool, "x", "a"), listener);
        await tool.ReachedAsync("x", "a");
        var shortDeadline = TimeSpan.FromMilliseconds(100);
        d.Submit(Hop(tool, "y", "a") with { Timeout = shortDeadline }, listener);
        d.Submit(Hop(tool, "u", "a"), listener);
        d.Submit(Hop(tool, "z", "a") with { Timeout = shortDeadline }, listener);
        Assert.Equal(ErrorCodes.Timeout, (await listener.ResultAsync(new("s1", "y"))).Error!.Code);
        Assert.Equal(ErrorCodes.Timeout, (await listener.ResultAsync(new("s1", "z"))).Error!.Code);
        Assert.Equal((1, 1), d.LoadOf("a")); // x runs, only u still waits

        // The queue has room again: two new calls wait in it instead of being refused as if it were full, and the
        // ended entries make way for them, so the queue never holds more than its capacity.
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Hop(tool, "v", "a"), listener).Status);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Hop(tool, "w", "a"), listener).Status);
        Assert.Equal((1, 3), d.LoadOf("a"));
        Assert.Equal(3, d.QueueEntriesOf("a"));
        Assert.Equal(SubmitStatus.Refused, d.Submit(Hop(tool, "full", "a"), listener).Status); // and now it is full

        foreach (string id in (string[])["x", "u", "v", "w"]) // in their order: the ended ones left it without a reshuffle
        {
            await tool.ReachedAsync(id, "a");
            tool.Open(id, "a");
            Assert.True((await listener.ResultAsync(new("s1", id))).Ok);
        }

        Assert.False(tool.ReachedAsync("y", "a").IsCompleted); // the calls that timed out never started
        Assert.False(tool.ReachedAsync("z", "a").IsCompleted);
        Assert.Equal(1, listener.CompletionsOf(new("s1", "y")));
        Assert.Equal(1, listener.CompletionsOf(new("s1", "z")));
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task AHop_NeedsNoRunningSlotOfItsOwn_AndGoesBeforeCallsWaitingForOne()
    {
        await using var d = new Dispatcher(Options(global: 1, a: 1, b: 1));
        var tool = new HopTool();
        var listener = new RecordingListener();
        d.Submit(Hop(tool, "x", "a", path: ["b"], wait: ["a", "b"]), listener);
        await tool.ReachedAsync("x", "a");
        d.Submit(Hop(tool, "y", "b"), listener); // b's slot is free, the limit's one slot is x's: y waits
        Assert.Equal((0, 1), d.LoadOf("b"));

        tool.Open("x", "a"); // x moves to b with the running slot it holds; waiting behind y would wait for itself
        await tool.ReachedAsync("x", "b");
        Assert.Equal((1, 1), d.LoadOf("b"));

        tool.Open("x", "b");
        Assert.Equal("b", (await listener.ResultAsync(new("s1", "x"))).Text);
        await tool.ReachedAsync("y", "b"); // x's end hands its slots to y
        tool.Open("y", "b");
        Assert.True((await listener.ResultAsync(new("s1", "y"))).Ok);
        await AllSlotsBack(d);
    }

    [Fact]
    public async Task Drain_EndsCallsWaitingForTheLimit_AndCompletes()
    {
        var d = new Dispatcher(Options(global: 1));
        var tool = new HopTool();
        var listener = new RecordingListener();
        d.Submit(Hop(tool, "x", "a"), listener);
        await tool.ReachedAsync("x", "a");
        d.Submit(Hop(tool, "y", "b"), listener);

        await d.DrainAsync(TimeSpan.Zero, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        // The drain waited for b's queue too, though b had no call running: nothing is left in a lane.
        Assert.Equal(0, d.Queued);
        Assert.Equal(0, d.BusySlots);
        Assert.Equal(ErrorCodes.ShuttingDown, (await listener.ResultAsync(new("s1", "x"))).Error!.Code);
        Assert.Equal(ErrorCodes.ShuttingDown, (await listener.ResultAsync(new("s1", "y"))).Error!.Code);
        await d.DisposeAsync();
    }
}
