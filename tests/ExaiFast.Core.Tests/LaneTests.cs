using System.Text;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>
/// Where a call runs: a small call with a free slot on the thread that submitted it (until its first real await), a big
/// one and every queued one on the thread pool — and never more at once than the lane's slots.
/// </summary>
public class LaneTests
{
    // Set by a test around its own Submit: a tool that sees it runs on the submitting thread, inside Submit.
    [ThreadStatic]
    private static bool t_submitting;

    private static DispatcherOptions Options(int workers, int queue = 64, int inlineMaxBytes = 1024) => new()
    {
        LaneSlots = new Dictionary<string, int> { ["local"] = workers },
        QueueDepth = queue,
        GlobalMaxInflight = 10_000,
        CallerMaxInflight = 10_000,
        InlineMaxArgumentBytes = inlineMaxBytes,
        CallTimeout = TimeSpan.FromSeconds(30),
    };

    private static CallRequest Request(ITool tool, string id, string json = "{}")
    {
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey("s1", id), tool, doc.RootElement.Clone(), "local", Stream: false);
    }

    private static SubmitResult SubmitHere(Dispatcher d, in CallRequest request, ICallListener listener)
    {
        t_submitting = true;
        try
        {
            return d.Submit(request, listener);
        }
        finally
        {
            t_submitting = false;
        }
    }

    [Fact]
    public async Task ASmallCallWithAFreeSlot_RunsInsideSubmit_AndIsAnsweredBeforeSubmitReturns()
    {
        await using var d = new Dispatcher(Options(workers: 2));
        var tool = new WhereTool();
        var listener = new RecordingListener();

        var submitted = SubmitHere(d, Request(tool, "a"), listener);

        Assert.Equal(SubmitStatus.Accepted, submitted.Status);
        Assert.Equal(1, listener.CompletionsOf(new("s1", "a"))); // already: it ran and ended inside Submit
        Assert.Equal(1, tool.RanOnSubmitter);
        Assert.Equal(0, d.Inflight);
        Assert.Equal(0, d.BusySlots);
    }

    [Fact]
    public async Task ABigCall_StartsOnThePool_NotOnTheSubmitter()
    {
        await using var d = new Dispatcher(Options(workers: 2, inlineMaxBytes: 64));
        var tool = new WhereTool();
        var listener = new RecordingListener();

        SubmitHere(d, Request(tool, "big", $$"""{"text":"{{new string('x', 100)}}"}"""), listener);
        SubmitHere(d, Request(tool, "small", """{"text":"y"}"""), listener);

        Assert.True((await listener.ResultAsync(new("s1", "big"))).Ok);
        Assert.True((await listener.ResultAsync(new("s1", "small"))).Ok);
        Assert.Equal(1, tool.RanOnSubmitter);
        Assert.Equal(1, tool.RanElsewhere);
    }

    [Fact]
    public async Task InlineOff_EveryCallStartsOnThePool()
    {
        await using var d = new Dispatcher(Options(workers: 2, inlineMaxBytes: 0));
        var tool = new WhereTool();
        var listener = new RecordingListener();

        SubmitHere(d, Request(tool, "a"), listener);

        Assert.True((await listener.ResultAsync(new("s1", "a"))).Ok);
        Assert.Equal(0, tool.RanOnSubmitter);
    }

    [Fact]
    public async Task ACallQueuedWhileAnInlineCallRuns_IsRunOnThePool_NotByTheSubmitterWhenItsCallEnds()
    {
        // One slot. "first" runs inline and holds the slot (synchronously) until "second" has been queued by another
        // thread; when "first" ends, the slot's next call must move to the pool: the submitter (a connection's reader)
        // does not run other callers' work.
        await using var d = new Dispatcher(Options(workers: 1));
        var queued = new ManualResetEventSlim();
        var tool = new WhereTool(blockUntil: queued);
        var listener = new RecordingListener();

        var other = Task.Run(() =>
        {
            tool.Started.Wait(TestContext.Current.CancellationToken);
            var s = d.Submit(Request(tool, "second", """{"text":"2"}"""), listener);
            queued.Set();
            return s;
        }, TestContext.Current.CancellationToken);
        SubmitHere(d, Request(tool, "first", """{"text":"1","block":true}"""), listener);

        Assert.Equal(SubmitStatus.Accepted, (await other).Status);
        Assert.True((await listener.ResultAsync(new("s1", "first"))).Ok);
        Assert.True((await listener.ResultAsync(new("s1", "second"))).Ok);
        Assert.Equal(1, tool.RanOnSubmitter);
        Assert.Equal(1, tool.RanElsewhere);
        await DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Inflight == 0);
    }

    [Fact]
    public async Task ManySubmittersAtOnce_NeverRunMoreThanTheLanesSlots_AndEveryCallIsAnsweredOnce()
    {
        // Inline runs, pool runs and queued runs together: the slot count is the only limit, and it holds.
        await using var d = new Dispatcher(Options(workers: 3, queue: 10_000));
        var tool = new SleepTool();
        var listener = new RecordingListener();
        var submitters = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                // Every fourth call really waits (the slot is then held across an await); the rest end at once.
                var r = d.Submit(Request(tool, $"t{t}-{i}", i % 4 == 0 ? $$"""{"ms":1,"text":"{{t}}-{{i}}"}""" : $$"""{"text":"{{t}}-{{i}}"}"""), listener);
                Assert.Equal(SubmitStatus.Accepted, r.Status);
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(submitters);

        await DispatcherTests.Eventually(() => listener.TotalCompletions == 2000);
        Assert.True(tool.MaxRunning <= 3, $"{tool.MaxRunning} ran at once in a lane of 3");
        await DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Queued == 0 && d.Inflight == 0);
    }

    [Fact]
    public async Task Drain_WaitsForTheRunningSlot_AndRunsWhatWasQueued()
    {
        var d = new Dispatcher(Options(workers: 1));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        d.Submit(Request(tool, "running", """{"ms":200}"""), listener);
        d.Submit(Request(tool, "queued", """{"ms":200}"""), listener);
        Assert.Equal(1, d.Queued);

        await d.DrainAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.True((await listener.ResultAsync(new("s1", "running"))).Ok);
        Assert.True((await listener.ResultAsync(new("s1", "queued"))).Ok);
        Assert.Equal(0, d.BusySlots);
        await d.DisposeAsync();
    }

    [Fact]
    public async Task AZeroMsCallThatEndsInsideSubmit_LeavesNoFlight_ASlowOneIsRegisteredLate_AndItsTwinJoinsIt()
    {
        // Single-flight hashes a call's arguments only when some call is registered (to find a twin) or once the call
        // turns out to wait; the slow call below is registered after its first await, and its twin then finds it.
        await using var d = new Dispatcher(Options(workers: 4));
        var tool = new SleepTool();
        var listener = new RecordingListener();

        for (int i = 0; i < 100; i++)
        {
            SubmitHere(d, Request(tool, $"quick{i}", """{"text":"same"}"""), listener);
        }

        Assert.True(d.FlightsEmpty);
        Assert.Equal(100, tool.Started);

        Assert.Equal(SubmitStatus.Accepted, SubmitHere(d, Request(tool, "slow", """{"ms":2000,"text":"t"}"""), listener).Status);
        Assert.False(d.FlightsEmpty);
        Assert.Equal(SubmitStatus.Coalesced, SubmitHere(d, Request(tool, "twin", """{"text":"t","ms":2000}"""), listener).Status);

        Assert.Equal("t", (await listener.ResultAsync(new("s1", "twin"))).Text);
        Assert.Equal(101, tool.Started);
        await DispatcherTests.Eventually(() => d.FlightsEmpty && d.Inflight == 0);
    }

    /// <summary>Records whether it ran on the submitting thread; can hold its slot synchronously until told.</summary>
    private sealed class WhereTool(ManualResetEventSlim? blockUntil = null) : ITool
    {
        private int _onSubmitter;
        private int _elsewhere;

        public ManualResetEventSlim Started { get; } = new();

        public int RanOnSubmitter => Volatile.Read(ref _onSubmitter);

        public int RanElsewhere => Volatile.Read(ref _elsewhere);

        public string Name => "where";

        public string Description => "says where it ran";

        public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

        public bool Coalescable => false;

        public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn("local");

        public ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref t_submitting ? ref _onSubmitter : ref _elsewhere);
            Started.Set();
            if (context.Arguments.TryGetProperty("block", out _))
            {
                // Deliberately synchronous: the inline run keeps its slot (and its thread) until the other call is queued.
                blockUntil!.Wait(TimeSpan.FromSeconds(20), cancellationToken);
            }

            return new ValueTask<ToolOutput>(new ToolOutput("ok", "local", "where"));
        }
    }
}
