using System.Reflection;
using System.Text;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>
/// A call's answer flows one way: Submit returns a ticket and calls no front door; the ticket completes once; what a
/// call streams before its door listens is held (chunks) or dropped (progress), never delivered inside Submit.
/// </summary>
public class CallTicketTests
{
    private static DispatcherOptions Options(int sessionMaxInflight = 100) => new()
    {
        LaneSlots = new Dictionary<string, int> { ["local"] = 2 },
        QueueDepth = 64,
        GlobalMaxInflight = 100,
        CallerMaxInflight = sessionMaxInflight,
        InlineMaxArgumentBytes = 1024,
        CallTimeout = TimeSpan.FromSeconds(30),
    };

    private static CallRequest Request(ITool tool, string id, string json = "{}", bool stream = true)
    {
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey("s1", id), tool, doc.RootElement.Clone(), "local", stream);
    }

    [Fact]
    public void TheListenerInterface_HasNoCompletion_AndSubmitTakesNoListener()
    {
        // The structure that makes a completion callback inside Submit impossible: the only way to the answer is the ticket.
        Assert.DoesNotContain(typeof(ICallListener).GetMethods(), m => m.Name.Contains("Complet", StringComparison.Ordinal));
        var submits = typeof(Dispatcher).GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.Name == nameof(Dispatcher.Submit)).ToList();
        Assert.NotEmpty(submits);
        Assert.All(submits, m =>
        {
            Assert.Equal(typeof(CallTicket), m.ReturnType);
            Assert.DoesNotContain(m.GetParameters(), p => typeof(ICallListener).IsAssignableFrom(p.ParameterType));
        });
    }

    [Fact]
    public async Task ACallThatEndsInsideSubmit_ComesBackCompleted_WhatItSaidHeldUntilTheDoorListens()
    {
        await using var d = new Dispatcher(Options());
        var tool = new ChattyTool();
        var ticket = d.Submit(Request(tool, "a"));

        Assert.True(tool.RanOnSubmittingThread); // it ran inline, so everything it produced happened inside Submit
        Assert.Equal(SubmitStatus.Accepted, ticket.Status);
        Assert.True(ticket.IsCompleted);
        Assert.True(ticket.Result.Ok);
        Assert.Equal("done", ticket.Result.Text);

        var listener = new EventLog();
        ticket.Listen(listener);
        ticket.OnCompleted(static (t, state) => ((EventLog)state!).Add("result:" + t.Result.Text), listener);
        Assert.Equal(["progress:starting", "chunk 1:one", "chunk 2:two", "result:done"], listener.Events);
    }

    [Fact]
    public async Task AContinuation_RunsOnce_WhereverItIsRegistered_AndASecondIsRefused()
    {
        await using var d = new Dispatcher(Options());
        var tool = new SleepTool(coalescable: false);
        var early = d.Submit(Request(tool, "early", """{"ms":50}""", stream: false));
        Assert.False(early.IsCompleted);
        int runs = 0;
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        early.OnCompleted((_, _) =>
        {
            Interlocked.Increment(ref runs);
            ran.TrySetResult();
        }, null);
        await ran.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Throws<InvalidOperationException>(() => early.OnCompleted((_, _) => Interlocked.Increment(ref runs), null));

        var late = d.Submit(Request(tool, "late", "{}", stream: false));
        Assert.True(late.IsCompleted);
        late.OnCompleted((_, _) => Interlocked.Increment(ref runs), null); // already answered: runs here, now
        Assert.Equal(2, Volatile.Read(ref runs));
    }

    [Fact]
    public async Task ADeferredTicket_HoldsItsAnswer_UntilResumed_SoADoorCanReplyToACancelFirst()
    {
        await using var d = new Dispatcher(Options());
        var tool = new SleepTool(coalescable: false);
        // Deaf to its token: only the deadline's registration ends it, so the cancel completes it on this thread (a tool
        // that hears the token may end on another thread first, and the answer would then come from there).
        var ticket = d.Submit(Request(tool, "c", """{"ms":1000,"deaf":true}""", stream: false));
        await DispatcherTests.Eventually(() => tool.Started == 1);
        var order = new List<string>();
        ticket.OnCompleted((t, _) => order.Add("result:" + t.Result.Error!.Code), null);

        ticket.Defer();
        var cancelled = d.Cancel(ticket.Key); // completes the call on this thread, through its token
        Assert.True(cancelled.Found);
        Assert.True(ticket.IsCompleted);
        order.Add("cancelled");
        Assert.Equal(["cancelled"], order);

        ticket.Resume();
        Assert.Equal(["cancelled", "result:" + ErrorCodes.Cancelled], order);
        ticket.Resume(); // nothing more: the continuation has run
        Assert.Equal(2, order.Count);
    }

    [Fact]
    public async Task RefusalsAndReplays_ComeBackAnswered_WithoutAnExecution()
    {
        await using var d = new Dispatcher(Options(sessionMaxInflight: 1));
        var tool = new SleepTool(coalescable: false);
        var running = d.Submit(Request(tool, "r1", """{"ms":1000,"deaf":true}""", stream: false)); // deaf: the cancel ends it here
        Assert.Equal(SubmitStatus.Accepted, running.Status);

        var refused = d.Submit(Request(tool, "r2", "{}", stream: false));
        Assert.Equal(SubmitStatus.Refused, refused.Status);
        Assert.True(refused.IsCompleted);
        Assert.Equal(ErrorCodes.OverCapacity, refused.Result.Error!.Code);
        Assert.Null(refused.Call);

        d.Cancel(running.Key);
        Assert.True(running.IsCompleted);
        var replayed = d.Submit(Request(tool, "r1", "{}", stream: false));
        Assert.Equal(SubmitStatus.Replayed, replayed.Status);
        Assert.Same(running.Result, replayed.Result);
    }

    /// <summary>Reports progress and two chunks synchronously, then answers: everything before its first await.</summary>
    private sealed class ChattyTool : ITool
    {
        private readonly int _submitter = Environment.CurrentManagedThreadId;

        public bool RanOnSubmittingThread { get; private set; }

        public string Name => "chatty";

        public string Description => "talks before it answers";

        public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

        public bool Coalescable => false;

        public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn("local");

        public ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
        {
            RanOnSubmittingThread = Environment.CurrentManagedThreadId == _submitter;
            context.ReportProgress("starting");
            context.EmitChunk("one");
            context.EmitChunk("two");
            return ValueTask.FromResult(new ToolOutput("done"));
        }
    }

    private sealed class EventLog : ICallListener
    {
        public List<string> Events { get; } = [];

        public void Add(string e)
        {
            lock (Events)
            {
                Events.Add(e);
            }
        }

        public void OnProgress(CallKey key, ToolCall call, ProgressReport progress) => Add("progress:" + progress.Message);

        public void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk) => Add($"chunk {sequence}:{chunk}");
    }
}
