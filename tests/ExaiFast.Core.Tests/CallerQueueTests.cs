using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;

namespace ExaiFast.Core.Tests;

/// <summary>
/// Calls beyond a caller's in-flight limit that ask to wait (MCP's fan-out): they wait in the caller's FIFO, on the
/// clock and cancellable, and are refused only when that queue or their lane's queue is full.
/// </summary>
public class CallerQueueTests
{
    private static DispatcherOptions Options(int session = 2, int depth = 4, int global = 100, int workers = 8, int queue = 64) => new()
    {
        LaneSlots = new Dictionary<string, int> { ["local"] = workers },
        QueueDepth = queue,
        GlobalMaxInflight = global,
        CallerMaxInflight = session,
        CallerQueueDepth = depth,
        CallTimeout = TimeSpan.FromSeconds(30),
        ProgressInterval = TimeSpan.FromSeconds(30),
    };

    private static CallRequest Waiting(SleepTool tool, string id, int ms, string session = "s1", TimeSpan? timeout = null, bool wait = true, bool gate = false)
    {
        using var doc = JsonDocument.Parse(gate ? $$"""{"ms":{{ms}},"text":"{{id}}","gate":true}""" : $$"""{"ms":{{ms}},"text":"{{id}}"}""");
        return new CallRequest(new CallKey(session, id), tool, doc.RootElement.Clone(), "local", Stream: false, timeout, WaitForSlot: wait);
    }

    [Fact]
    public async Task CallsBeyondTheSessionLimit_WaitTheirTurn_AndAllSucceed()
    {
        await using var d = new Dispatcher(Options(session: 2, depth: 8));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();

        // Gated: the first two hold their slots until the counts are checked, however slow this machine is today
        // (with 30 ms sleeps, a submission loop slower than that saw calls end early: 4 waiting instead of 8).
        var statuses = Enumerable.Range(0, 10).Select(i => d.Submit(Waiting(tool, $"c{i}", 5, gate: true), listener).Status).ToList();

        Assert.All(statuses, s => Assert.Equal(SubmitStatus.Accepted, s));
        Assert.Equal(8, d.CallerWaiting);
        Assert.Equal(2, d.Inflight); // waiters hold no global slot
        tool.OpenGate();
        for (int i = 0; i < 10; i++)
        {
            var result = await listener.ResultAsync(new("s1", $"c{i}"));
            Assert.True(result.Ok, result.Error?.Message);
        }

        Assert.Equal(2, tool.MaxRunning); // the session limit held
        Assert.Equal(10, listener.TotalCompletions);
        await DispatcherTests.Eventually(() => d.Inflight == 0 && d.CallerWaiting == 0 && d.InflightKeys == 0);
    }

    [Fact]
    public async Task Waiters_GetTheirSlotsInTheOrderTheyCame()
    {
        // One slot, so one call runs at a time and the order they start in is the order the slot was handed on (with
        // two slots, two workers may start two calls handed on in order the other way round).
        await using var d = new Dispatcher(Options(session: 1, depth: 8));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        for (int i = 0; i < 8; i++)
        {
            d.Submit(Waiting(tool, $"c{i}", 5), listener);
        }

        await listener.ResultAsync(new("s1", "c7"));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"c{i}"), tool.StartOrder);
        Assert.Equal(1, tool.MaxRunning);
    }

    [Fact]
    public async Task AFullSessionQueue_IsRefusedAtOnce_AndACallThatDoesNotWait_IsRefusedAsBefore()
    {
        await using var d = new Dispatcher(Options(session: 1, depth: 2));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        d.Submit(Waiting(tool, "run", 5_000), listener);
        d.Submit(Waiting(tool, "w1", 0), listener);
        d.Submit(Waiting(tool, "w2", 0), listener);

        var full = d.Submit(Waiting(tool, "w3", 0), listener);
        var noWait = d.Submit(Waiting(tool, "x", 0, wait: false), listener);

        Assert.Equal(SubmitStatus.Refused, full.Status);
        Assert.Equal(ErrorCodes.OverCapacity, full.Result!.Error!.Code);
        Assert.Contains("2 waiting", full.Result.Error.Message, StringComparison.Ordinal);
        Assert.NotNull(full.Result.Error.RetryAfterSeconds);
        Assert.Equal(SubmitStatus.Refused, noWait.Status);
        Assert.Equal(0, listener.CompletionsOf(new("s1", "w3"))); // a refusal is answered by Submit, not by the listener

        // Refused calls were never admitted: the same ids are fresh calls later, and nothing is left behind.
        d.Cancel(new("s1", "run"));
        Assert.True((await listener.ResultAsync(new("s1", "w2"))).Ok);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Waiting(tool, "w3", 0), listener).Status);
        Assert.True((await listener.ResultAsync(new("s1", "w3"))).Ok);
        await DispatcherTests.Eventually(() => d.Inflight == 0 && d.CallerWaiting == 0 && d.InflightKeys == 0);
    }

    [Fact]
    public async Task AWaitingCall_TimesOutOnItsOwnDeadline_AndIsCancellable_WithoutEverRunning()
    {
        await using var d = new Dispatcher(Options(session: 1, depth: 4));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        d.Submit(Waiting(tool, "run", 20_000), listener);
        d.Submit(Waiting(tool, "late", 0, timeout: TimeSpan.FromMilliseconds(100)), listener);
        d.Submit(Waiting(tool, "unwanted", 0), listener);
        d.Submit(Waiting(tool, "next", 0), listener);
        Assert.Equal(3, d.CallerWaiting);

        var timedOut = await listener.ResultAsync(new("s1", "late")); // while "run" still runs: the waiter's own clock
        var cancel = d.Cancel(new("s1", "unwanted"));
        var cancelled = await listener.ResultAsync(new("s1", "unwanted"));

        Assert.Equal(ErrorCodes.Timeout, timedOut.Error!.Code);
        Assert.Equal((true, false), (cancel.Found, cancel.WasRunning));
        Assert.Equal(ErrorCodes.Cancelled, cancelled.Error!.Code);
        Assert.Equal(1, d.CallerWaiting); // both left the queue at once
        Assert.Equal(1, tool.Started);

        d.Cancel(new("s1", "run"));
        Assert.True((await listener.ResultAsync(new("s1", "next"))).Ok); // the slot went to the one still waiting
        Assert.Equal(["run", "next"], tool.StartOrder);
        await DispatcherTests.Eventually(() => d.Inflight == 0 && d.CallerWaiting == 0 && d.InflightKeys == 0);
    }

    [Fact]
    public async Task Waiters_HoldNoGlobalSlot_SoOtherSessionsAreServed_AndTheGlobalLimitStillHolds()
    {
        await using var d = new Dispatcher(Options(session: 2, depth: 10, global: 3));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(SubmitStatus.Accepted, d.Submit(Waiting(tool, $"a{i}", 300, session: "a"), listener).Status);
        }

        var b = d.Submit(Waiting(tool, "b0", 0, session: "b"), listener);
        Assert.Equal(SubmitStatus.Accepted, b.Status); // a's six waiters take none of the three global slots
        Assert.True((await listener.ResultAsync(new("b", "b0"))).Ok);

        for (int i = 0; i < 8; i++)
        {
            Assert.True((await listener.ResultAsync(new("a", $"a{i}"))).Ok);
        }

        Assert.True(tool.MaxRunning <= 3, $"{tool.MaxRunning} ran at once against a global limit of 3");
        await DispatcherTests.Eventually(() => d.Inflight == 0 && d.CallerWaiting == 0 && d.ActiveCallers == 0);
    }

    [Fact]
    public async Task AWaiterThatMeetsAFullLane_IsRefused_AndTheNextWaiterStillGetsItsTurn()
    {
        // One worker, a lane queue of 1: session "a" runs one call that ignores its token and waits with two more; "b"
        // fills the lane's queue. At a-run's deadline its slot passes on while its worker is still busy.
        await using var d = new Dispatcher(Options(session: 1, depth: 4, workers: 1, queue: 1));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        using (var deaf = JsonDocument.Parse("""{"ms":1500,"deaf":true,"text":"a-run"}"""))
        {
            d.Submit(new CallRequest(new CallKey("a", "a-run"), tool, deaf.RootElement.Clone(), "local", false, TimeSpan.FromMilliseconds(300), WaitForSlot: true), listener);
        }

        await DispatcherTests.Eventually(() => d.BusySlots == 1);
        d.Submit(Waiting(tool, "a-w1", 0, session: "a"), listener);
        d.Submit(Waiting(tool, "a-w2", 0, session: "a"), listener);
        d.Submit(Waiting(tool, "b-queued", 0, session: "b"), listener);
        Assert.Equal(1, d.Queued);

        Assert.Equal(ErrorCodes.Timeout, (await listener.ResultAsync(new("a", "a-run"))).Error!.Code);
        var w1 = await listener.ResultAsync(new("a", "a-w1"));
        var w2 = await listener.ResultAsync(new("a", "a-w2"));
        Assert.Equal(ErrorCodes.OverCapacity, w1.Error!.Code);
        Assert.Contains("queue is full", w1.Error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.OverCapacity, w2.Error!.Code);
        Assert.True((await listener.ResultAsync(new("b", "b-queued"))).Ok);
        await DispatcherTests.Eventually(() => d.Inflight == 0 && d.CallerWaiting == 0 && d.InflightKeys == 0 && d.ActiveCallers == 0);
    }

    [Fact]
    public async Task ManyThreadsFanningOut_WithCancelsAndShortDeadlines_EveryCallEndsOnce_AndNothingIsLeft()
    {
        await using var d = new Dispatcher(Options(session: 3, depth: 32, global: 12, workers: 6, queue: 8));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        var accepted = new System.Collections.Concurrent.ConcurrentBag<CallKey>();
        int refused = 0;

        await Parallel.ForAsync(0, 8, TestContext.Current.CancellationToken, async (s, ct) =>
        {
            var random = new Random(s);
            string session = $"s{s}";
            for (int i = 0; i < 250; i++)
            {
                string id = $"{s}-{i}";
                var timeout = random.Next(5) == 0 ? TimeSpan.FromMilliseconds(random.Next(1, 20)) : (TimeSpan?)null;
                var submitted = d.Submit(Waiting(tool, id, random.Next(3), session, timeout), listener);
                if (submitted.Status == SubmitStatus.Refused)
                {
                    Interlocked.Increment(ref refused);
                    await Task.Delay(2, ct); // a client backing off
                    continue;
                }

                accepted.Add(new(session, id));
                if (random.Next(6) == 0)
                {
                    d.Cancel(new(session, $"{s}-{random.Next(i + 1)}"));
                }

                if (i % 20 == 0)
                {
                    await Task.Yield();
                }
            }
        });

        foreach (var key in accepted)
        {
            await listener.ResultAsync(key);
        }

        Assert.All(accepted, key => Assert.Equal(1, listener.CompletionsOf(key)));
        Assert.Equal(accepted.Count, listener.TotalCompletions); // and nothing for a refused call
        Assert.True(tool.MaxRunning <= 6);
        await DispatcherTests.Eventually(() => d.Inflight == 0 && d.CallerWaiting == 0 && d.InflightKeys == 0 && d.BusySlots == 0);
        Assert.True(accepted.Count > 1000, $"only {accepted.Count} accepted, {refused} refused: the test did not load the queues");
    }
}
