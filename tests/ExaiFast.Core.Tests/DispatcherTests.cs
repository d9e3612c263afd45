using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

public class DispatcherTests
{
    private static DispatcherOptions Options(int workers = 4, int queue = 64, int global = 100, int session = 100, double timeoutS = 30, int inlineMaxBytes = 16 * 1024) => new()
    {
        InlineMaxArgumentBytes = inlineMaxBytes,
        LaneSlots = new Dictionary<string, int> { ["local"] = workers },
        QueueDepth = queue,
        GlobalMaxInflight = global,
        CallerMaxInflight = session,
        CallTimeout = TimeSpan.FromSeconds(timeoutS),
        ProgressInterval = TimeSpan.FromMilliseconds(50),
    };

    private static CallRequest Request(ITool tool, string id, string json = "{}", string session = "s1", TimeSpan? timeout = null)
    {
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey(session, id), tool, doc.RootElement.Clone(), "local", Stream: false, timeout);
    }

    [Fact]
    public async Task AcceptedCall_Completes_AndLeavesNothingInFlight_AndItsResultCanBeFetchedAgain()
    {
        await using var d = new Dispatcher(Options());
        var tool = new SleepTool();
        var listener = new RecordingListener();

        var submit = d.Submit(Request(tool, "a", """{"text":"hello"}"""), listener);
        var result = await listener.ResultAsync(new CallKey("s1", "a"));

        Assert.Equal(SubmitStatus.Accepted, submit.Status);
        Assert.True(result.Ok);
        Assert.Equal("hello", result.Text);
        Assert.Equal("local", result.Provider);
        await Eventually(() => d.Inflight == 0 && d.InflightKeys == 0 && d.ActiveCallers == 0);

        var again = d.Submit(Request(tool, "a", """{"text":"other"}"""), new RecordingListener());
        Assert.Equal(SubmitStatus.Replayed, again.Status);
        Assert.Equal("hello", again.Result!.Text);
        Assert.Equal(1, tool.Started);
    }

    [Fact]
    public async Task SameRequestIdWhileRunning_Attaches_AndRunsOnce()
    {
        await using var d = new Dispatcher(Options());
        var tool = new SleepTool(coalescable: false);
        var first = new RecordingListener();
        var second = new RecordingListener();

        // 2 s, not 200 ms: the second Submit must find the first running even if this thread is descheduled between them.
        d.Submit(Request(tool, "dup", """{"ms":2000}"""), first);
        var attach = d.Submit(Request(tool, "dup", """{"ms":2000}"""), second);

        Assert.Equal(SubmitStatus.Attached, attach.Status);
        Assert.True((await first.ResultAsync(new("s1", "dup"))).Ok);
        Assert.True((await second.ResultAsync(new("s1", "dup"))).Ok);
        Assert.Equal(1, tool.Started);
        Assert.Equal(1, first.CompletionsOf(new("s1", "dup")));
        Assert.Equal(1, second.CompletionsOf(new("s1", "dup")));
    }

    [Fact]
    public async Task IdenticalConcurrentCalls_ShareOneExecution_EachAnsweredUnderItsOwnId()
    {
        await using var d = new Dispatcher(Options());
        var tool = new SleepTool();
        var listener = new RecordingListener();

        d.Submit(Request(tool, "x1", """{"ms":2000,"text":"t"}"""), listener); // 2 s: the twin must find it running
        var twin = d.Submit(Request(tool, "x2", """{"text":"t","ms":2000}"""), listener); // same arguments, other order

        Assert.Equal(SubmitStatus.Coalesced, twin.Status);
        Assert.Equal("t", (await listener.ResultAsync(new("s1", "x1"))).Text);
        Assert.Equal("t", (await listener.ResultAsync(new("s1", "x2"))).Text);
        Assert.Equal(1, tool.Started);
        await Eventually(() => d.InflightKeys == 0);
    }

    [Fact]
    public async Task IdenticalCallsThatRaceTheirTwinsEnd_AreEachAnsweredOnce_AndLeaveNoKeyBehind()
    {
        // A 0 ms twin ends on a worker while the next identical call joins it: whichever wins, the joining key must end
        // mapped to a result (it used to stay mapped to the ended call for ever when the twin ended in between). Run on
        // the pool: run inline, each 0 ms call would end inside its own Submit, before the next could join it.
        await using var d = new Dispatcher(Options(workers: 2, inlineMaxBytes: 0));
        var tool = new SleepTool();
        var listener = new RecordingListener();
        for (int i = 0; i < 20_000; i++)
        {
            d.Submit(Request(tool, $"k{i}", """{"text":"same"}"""), listener);
        }

        await Eventually(() => d.Inflight == 0 && listener.TotalCompletions == 20_000);
        Assert.Equal(0, d.InflightKeys);
        Assert.True(tool.Started < 20_000); // some really were coalesced
    }

    [Fact]
    public async Task AProgressBeingTold_IsNeverOvertakenByTheCallsEnd()
    {
        // The listener, while it is told of a heartbeat, lets the tool finish on another thread and holds on until
        // either the call's end has reached it (the wrong order, which the assertion shows) or the thread ending the
        // call is blocked, waiting for this progress to be told: a state, not a while, so a slow machine cannot turn
        // a call's end that does not wait into a pass. (Not a cancel: Dispatcher.Cancel itself takes the call's lock.)
        await using var d = new Dispatcher(Options());
        var tool = new EndingThreadTool();
        var listener = new OrderListener(tool);
        d.Submit(Request(tool, "p"), listener);

        await listener.Ended.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await listener.Ending!.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.False(listener.GaveUp, "the call's end neither reached the listener nor waited for it");
        Assert.Equal(["progress", "completed"], listener.Events);
    }

    [Fact]
    public async Task CoalescingIsOff_ForNonCoalescableTools_AndAcrossSessions()
    {
        await using var d = new Dispatcher(Options());
        var tool = new SleepTool(coalescable: false);
        var shared = new SleepTool();
        var listener = new RecordingListener();

        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, "n1", """{"ms":100}"""), listener).Status);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, "n2", """{"ms":100}"""), listener).Status);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(shared, "c1", """{"ms":100}""", session: "A"), listener).Status);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(shared, "c1", """{"ms":100}""", session: "B"), listener).Status);
        await listener.ResultAsync(new("B", "c1"));
        await Eventually(() => d.Inflight == 0);
        Assert.Equal(2, tool.Started);
        Assert.Equal(2, shared.Started);
    }

    [Fact]
    public async Task Timeout_StopsTheWork_AndAnswersTimeout()
    {
        await using var d = new Dispatcher(Options());
        var tool = new SleepTool();
        var listener = new RecordingListener();

        d.Submit(Request(tool, "slow", """{"ms":30000}""", timeout: TimeSpan.FromMilliseconds(150)), listener);
        var result = await listener.ResultAsync(new("s1", "slow"));

        Assert.Equal(ErrorCodes.Timeout, result.Error!.Code);
        await Eventually(() => tool.Cancelled == 1 && d.Inflight == 0 && d.BusySlots == 0);
    }

    [Fact]
    public async Task CancelRunning_AbortsTheWork_CancelQueued_AnswersAtOnce_CancelUnknown_FindsNothing()
    {
        await using var d = new Dispatcher(Options(workers: 1));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        d.Submit(Request(tool, "running", """{"ms":30000}"""), listener);
        d.Submit(Request(tool, "queued", """{"ms":30000}"""), listener);
        await Eventually(() => tool.Started == 1);

        var queued = d.Cancel(new("s1", "queued"));
        Assert.Equal(new CancelResult(true, false), queued);
        Assert.Equal(ErrorCodes.Cancelled, (await listener.ResultAsync(new("s1", "queued"))).Error!.Code); // the worker is still busy

        var running = d.Cancel(new("s1", "running"));
        Assert.Equal(new CancelResult(true, true), running);
        Assert.Equal(ErrorCodes.Cancelled, (await listener.ResultAsync(new("s1", "running"))).Error!.Code);
        await Eventually(() => tool.Cancelled == 1 && d.Inflight == 0 && d.BusySlots == 0);
        Assert.Equal(1, tool.Started); // the queued one never ran

        Assert.Equal(new CancelResult(false, false), d.Cancel(new("s1", "never-sent")));
    }

    [Fact]
    public async Task Limits_RefuseAtOnce_WithRetryAfter()
    {
        await using var d = new Dispatcher(Options(workers: 1, queue: 1, global: 100, session: 3));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();

        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, "1", """{"ms":30000}"""), listener).Status);
        await Eventually(() => tool.Started == 1);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, "2", """{"ms":30000}"""), listener).Status); // queued
        var queueFull = d.Submit(Request(tool, "3", """{"ms":30000}"""), listener);
        Assert.Equal(SubmitStatus.Refused, queueFull.Status);
        Assert.Equal(ErrorCodes.OverCapacity, queueFull.Result!.Error!.Code);
        Assert.Equal(1, queueFull.Result.Error.RetryAfterSeconds);

        await using var d2 = new Dispatcher(Options(workers: 10, session: 2));
        d2.Submit(Request(tool, "a", """{"ms":30000}""", session: "A"), listener);
        d2.Submit(Request(tool, "b", """{"ms":30000}""", session: "A"), listener);
        var sessionFull = d2.Submit(Request(tool, "c", """{"ms":30000}""", session: "A"), listener);
        Assert.Equal(ErrorCodes.OverCapacity, sessionFull.Result!.Error!.Code);
        Assert.Contains("session has 2 calls in flight", sessionFull.Result.Error.Message);
        Assert.Equal(1, sessionFull.Result.Error.RetryAfterSeconds);
        Assert.Equal(2, d2.Inflight);
    }

    [Fact]
    public async Task ThousandCallsThatAllTimeOut_LeaveNothingBehind_AndTheNextThousandSucceed()
    {
        await using var d = new Dispatcher(Options(workers: 50, queue: 1000, global: 1000, session: 1000, timeoutS: 0.3));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();

        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, $"t{i}", """{"ms":60000}"""), listener).Status);
        }

        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(ErrorCodes.Timeout, (await listener.ResultAsync(new("s1", $"t{i}"))).Error!.Code);
        }

        await Eventually(() => d.Inflight == 0 && d.InflightKeys == 0 && d.BusySlots == 0 && d.ActiveCallers == 0);
        Assert.Equal(tool.Started, tool.Cancelled); // every call that started was really stopped
        Assert.Equal(1000, listener.TotalCompletions);

        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, $"ok{i}", $$"""{"text":"{{i}}"}"""), listener).Status);
        }

        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (await listener.ResultAsync(new("s1", $"ok{i}"))).Text);
        }

        await Eventually(() => d.Inflight == 0 && d.InflightKeys == 0);
    }

    [Fact]
    public async Task ZeroLatencyCalls_CompletingBeforeSubmitReturns_NeverBreakSubmit()
    {
        // Regression: the deadline was armed after TryEnqueue; a call finished by a worker in between had its token
        // source disposed, and Submit threw ObjectDisposedException on the connection's reader.
        await using var d = new Dispatcher(Options(workers: 8, queue: 100_000, global: 100_000, session: 100_000));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        for (int i = 0; i < 20_000; i++)
        {
            Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, $"z{i}"), listener).Status);
        }

        await Eventually(() => listener.TotalCompletions == 20_000 && d.Inflight == 0 && d.InflightKeys == 0);
    }

    [Fact]
    public async Task OrphanedCalls_AreCancelled_AfterTheirListenerDetaches()
    {
        await using var d = new Dispatcher(Options());
        var tool = new SleepTool(coalescable: false);
        var gone = new RecordingListener();
        d.Submit(Request(tool, "o1", """{"ms":30000}""", session: "S"), gone);
        d.Submit(Request(tool, "o2", """{"ms":30000}""", session: "S"), gone);
        await Eventually(() => tool.Started == 2);

        d.Detach(gone, "S");
        Assert.Equal(2, d.CancelOrphans("S"));

        await Eventually(() => tool.Cancelled == 2 && d.Inflight == 0 && d.InflightKeys == 0);
        Assert.Equal(0, gone.TotalCompletions); // detached: nobody to tell
        var replay = d.Submit(Request(tool, "o1", "{}", session: "S"), new RecordingListener());
        Assert.Equal(SubmitStatus.Replayed, replay.Status);
        Assert.Equal(ErrorCodes.Cancelled, replay.Result!.Error!.Code);
    }

    [Fact]
    public async Task ProgressHeartbeats_ReachListeners_WhileRunning()
    {
        await using var d = new Dispatcher(Options());
        var listener = new RecordingListener();
        d.Submit(Request(new SleepTool(), "p", """{"ms":30000}"""), listener);
        // "sleeping" + heartbeats every 50 ms, waited for instead of counted after a 400 ms call: on a busy machine the
        // timer may fire late, and the test would then fail for the machine's sake.
        await Eventually(() => listener.ProgressCount >= 3);
        Assert.Equal(0, listener.TotalCompletions); // while it runs
        d.Cancel(new("s1", "p"));
        Assert.Equal(ErrorCodes.Cancelled, (await listener.ResultAsync(new("s1", "p"))).Error!.Code);
    }

    [Fact]
    public async Task UnexpectedToolException_IsInternalError_WithoutItsMessage()
    {
        await using var d = new Dispatcher(Options());
        var listener = new RecordingListener();
        d.Submit(Request(new SleepTool(), "f", """{"fail":true}"""), listener);
        var result = await listener.ResultAsync(new("s1", "f"));
        Assert.Equal(ErrorCodes.InternalError, result.Error!.Code);
        Assert.DoesNotContain("secret", result.Error.Message);
    }

    [Fact]
    public async Task Drain_RefusesNewCalls_AndEndsRunningOnesWithShuttingDown()
    {
        var d = new Dispatcher(Options());
        var tool = new SleepTool();
        var listener = new RecordingListener();
        d.Submit(Request(tool, "long", """{"ms":30000}"""), listener);
        await Eventually(() => tool.Started == 1);

        var drain = d.DrainAsync(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCodes.ShuttingDown, d.Submit(Request(tool, "late", "{}"), listener).Result!.Error!.Code);
        await drain;

        Assert.Equal(ErrorCodes.ShuttingDown, (await listener.ResultAsync(new("s1", "long"))).Error!.Code);
        Assert.Equal(0, d.Inflight);
        await d.DisposeAsync();
    }

    internal static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private sealed class OrderListener(EndingThreadTool tool) : ICompletionListener
    {
        private bool _completed;

        public List<string> Events { get; } = [];

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task? Ending { get; private set; }

        public bool GaveUp { get; private set; }

        public void OnProgress(CallKey key, ToolCall call, ProgressReport progress)
        {
            if (Ending is not null)
            {
                return;
            }

            Ending = Task.Run(tool.Finish);
            long giveUp = Environment.TickCount64 + 20_000;
            while (!Volatile.Read(ref _completed) && !tool.EnderIsBlocked)
            {
                if (Environment.TickCount64 > giveUp)
                {
                    GaveUp = true;
                    break;
                }

                Thread.Sleep(1);
            }

            lock (Events)
            {
                Events.Add("progress");
            }
        }

        public void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk)
        {
        }

        public void OnCompleted(CallKey key, ToolCall call, CallResult result)
        {
            lock (Events)
            {
                Events.Add("completed");
            }

            Volatile.Write(ref _completed, true);
            Ended.TrySetResult();
        }
    }

    /// <summary>
    /// Runs until told to finish, and knows the thread it finishes on: the call's end (Complete, the answer) goes on
    /// synchronously on that thread.
    /// </summary>
    private sealed class EndingThreadTool : ITool
    {
        private readonly TaskCompletionSource _finish = new(); // continuations inline: on the thread that calls Finish
        private Thread? _ender;

        public string Name => "ending-thread";

        public string Description => "runs until told to finish";

        public ReadOnlyMemory<byte> InputSchema => """{"type":"object"}"""u8.ToArray();

        public bool Coalescable => false;

        /// <summary>Whether the thread ending the call is blocked (it waits for a lock: nothing else on its way blocks).</summary>
        public bool EnderIsBlocked => Volatile.Read(ref _ender) is { } t && (t.ThreadState & ThreadState.WaitSleepJoin) != 0;

        public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn("local");

        public void Finish() => _finish.SetResult();

        public async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
        {
            await _finish.Task.WaitAsync(cancellationToken);
            Volatile.Write(ref _ender, Thread.CurrentThread);
            return new ToolOutput("finished", "local", "none");
        }
    }
}
