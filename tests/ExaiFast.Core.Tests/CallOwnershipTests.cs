using System.Buffers;
using System.Text;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>
/// What a call borrows — its arguments' memory and a pooled token source — is given back only when nothing can reach
/// it any more, and never while a tool or a racing cancel still could.
/// </summary>
public class CallOwnershipTests
{
    private static DispatcherOptions Options(int workers = 2, int queue = 8, double timeoutS = 30) => new()
    {
        LaneSlots = new Dictionary<string, int> { ["local"] = workers },
        QueueDepth = queue,
        GlobalMaxInflight = 100,
        CallerMaxInflight = 100,
        CallTimeout = TimeSpan.FromSeconds(timeoutS),
        ProgressInterval = TimeSpan.FromSeconds(10),
    };

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonDocument, string> Texts = [];

    /// <summary>A document over a pooled array, as the exai-ws reader hands it over.</summary>
    private static (JsonDocument Document, ArgumentsLease Lease) Leased(string json)
    {
        byte[] array = ArrayPool<byte>.Shared.Rent(json.Length * 3);
        int n = Encoding.UTF8.GetBytes(json, array);
        var document = JsonDocument.Parse(array.AsMemory(0, n));
        Texts.Add(document, document.RootElement.GetRawText());
        return (document, new ArgumentsLease(document, array));
    }

    /// <summary>Disposed for sure; false while alive or while its owner is disposing it this very moment (look again).</summary>
    private static bool IsDisposed(JsonDocument document)
    {
        try
        {
            _ = document.RootElement.GetRawText();
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // read while another thread disposes it: not done yet
        }
    }

    /// <summary>Alive: readable, and what it reads is still the JSON object it was parsed from.</summary>
    private static bool IsIntact(JsonDocument document)
    {
        try
        {
            return Texts.TryGetValue(document, out var text) && document.RootElement.GetRawText() == text;
        }
        catch (Exception)
        {
            return false;
        }
    }

    [Fact]
    public async Task LeasedArguments_StayReadable_UntilTheToolReturns_EvenWhenATimeoutEndedTheCallFirst()
    {
        await using var d = new Dispatcher(Options());
        var tool = new StubbornTool();
        var listener = new RecordingListener();
        var (document, lease) = Leased("""{"text":"still here"}""");
        var key = new CallKey("s", "slow");

        var submit = d.Submit(new CallRequest(key, tool, document.RootElement, "local", false, TimeSpan.FromMilliseconds(50), lease), listener);
        Assert.Equal(SubmitStatus.Accepted, submit.Status);
        var result = await listener.ResultAsync(key);

        Assert.Equal(ErrorCodes.Timeout, result.Error!.Code);   // the client has its answer...
        Assert.True(IsIntact(document));                          // ...but the tool still runs, so its arguments live
        tool.Proceed.SetResult();
        Assert.Equal("still here", await tool.Read.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        await DispatcherTests.Eventually(() => IsDisposed(document)); // and are given back once it returned
    }

    [Fact]
    public async Task LeasedArguments_AreGivenBack_WhenACallEndsNormally()
    {
        await using var d = new Dispatcher(Options());
        var listener = new RecordingListener();
        var (document, lease) = Leased("""{"text":"bye"}""");
        var key = new CallKey("s", "n");

        d.Submit(new CallRequest(key, new SleepTool(), document.RootElement, "local", false, null, lease), listener);

        Assert.Equal("bye", (await listener.ResultAsync(key)).Text);
        await DispatcherTests.Eventually(() => IsDisposed(document));
    }

    [Fact]
    public async Task SubmitTakesTheLeaseWhateverItAnswers_RefusedAttachedAndReplayedGiveItBackAtOnce()
    {
        await using var d = new Dispatcher(Options(workers: 1, queue: 1));
        var sleeper = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        var running = Leased("""{"ms":30000}""");
        Assert.Equal(SubmitStatus.Accepted, d.Submit(new CallRequest(new("s", "run"), sleeper, running.Document.RootElement, "local", false, null, running.Lease), listener).Status);
        await DispatcherTests.Eventually(() => sleeper.Started == 1);
        var queued = Leased("""{"ms":30000}""");
        Assert.Equal(SubmitStatus.Accepted, d.Submit(new CallRequest(new("s", "queued"), sleeper, queued.Document.RootElement, "local", false, null, queued.Lease), listener).Status);

        var full = Leased("""{"ms":1}""");
        var refused = d.Submit(new CallRequest(new("s", "full"), sleeper, full.Document.RootElement, "local", false, null, full.Lease), listener);
        var again = Leased("""{"ms":30000}""");
        var attached = d.Submit(new CallRequest(new("s", "run"), sleeper, again.Document.RootElement, "local", false, null, again.Lease), new RecordingListener());

        Assert.Equal(SubmitStatus.Refused, refused.Status);
        Assert.Equal(ErrorCodes.OverCapacity, refused.Result!.Error!.Code);
        Assert.Equal(SubmitStatus.Attached, attached.Status);
        Assert.True(IsDisposed(full.Document));
        Assert.True(IsDisposed(again.Document));
        Assert.True(IsIntact(running.Document)); // the call attached to still reads its own

        d.Cancel(new("s", "run"));
        d.Cancel(new("s", "queued"));
        await listener.ResultAsync(new("s", "queued"));
        await DispatcherTests.Eventually(() => IsDisposed(running.Document) && IsDisposed(queued.Document));

        var replay = Leased("{}");
        Assert.Equal(SubmitStatus.Replayed, d.Submit(new CallRequest(new("s", "run"), sleeper, replay.Document.RootElement, "local", false, null, replay.Lease), listener).Status);
        Assert.True(IsDisposed(replay.Document));
    }

    [Fact]
    public async Task CancellingAnEndedCall_NeverReachesTheCallThatReusesItsTokenSource()
    {
        await using var d = new Dispatcher(Options(workers: 1));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        var first = d.Submit(DispatcherTestsRequest(tool, "first", "{}"), listener);
        await listener.ResultAsync(new("s1", "first"));
        await DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Inflight == 0);

        var second = d.Submit(DispatcherTestsRequest(tool, "second", """{"ms":30000}"""), listener);
        await DispatcherTests.Eventually(() => tool.Started == 2);

        Assert.Same(first.Call!.Cancellation, second.Call!.Cancellation); // the pool handed the same source on
        first.Call.Cancel(CancelReason.Client);                            // a late cancel of the first call...
        Assert.False(second.Call.Token.IsCancellationRequested);          // ...is not the second's (Cancel is synchronous)
        Assert.False(second.Call.IsCompleted);

        d.Cancel(new("s1", "second"));
        Assert.Equal(ErrorCodes.Cancelled, (await listener.ResultAsync(new("s1", "second"))).Error!.Code);
    }

    [Fact]
    public async Task ACancelledTokenSource_IsNotReused()
    {
        await using var d = new Dispatcher(Options(workers: 1));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        var first = d.Submit(DispatcherTestsRequest(tool, "c1", """{"ms":30000}"""), listener);
        await DispatcherTests.Eventually(() => tool.Started == 1);
        d.Cancel(new("s1", "c1"));
        await listener.ResultAsync(new("s1", "c1"));
        await DispatcherTests.Eventually(() => d.BusySlots == 0 && d.Inflight == 0);

        var second = d.Submit(DispatcherTestsRequest(tool, "c2", "{}"), listener);

        Assert.NotSame(first.Call!.Cancellation, second.Call!.Cancellation);
        Assert.True((await listener.ResultAsync(new("s1", "c2"))).Ok);
    }

    private static CallRequest DispatcherTestsRequest(ITool tool, string id, string json)
    {
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey("s1", id), tool, doc.RootElement.Clone(), "local", Stream: false);
    }

    /// <summary>Ignores its token until told to proceed, then reads its arguments: a tool that outlives its deadline.</summary>
    private sealed class StubbornTool : ITool
    {
        public TaskCompletionSource Proceed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string> Read { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "stubborn";

        public string Description => "ignores cancellation";

        public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

        public bool Coalescable => false;

        public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn("local");

        public async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
        {
            await Proceed.Task.ConfigureAwait(false);
            string text = context.Arguments.GetProperty("text").GetString()!;
            Read.SetResult(text);
            return new ToolOutput(text);
        }
    }
}
