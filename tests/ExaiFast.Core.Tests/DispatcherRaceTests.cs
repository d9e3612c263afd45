using System.Collections.Concurrent;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;

namespace ExaiFast.Core.Tests;

/// <summary>
/// Races between one request setting a call up and another thread joining, cancelling or ending it — each found by
/// review, reproduced, and kept here as a check that hammers the window until the race shows.
/// </summary>
public class DispatcherRaceTests
{
    private static DispatcherOptions Options(int workers, int queue, int session = 10_000, int sessionQueue = 0) => new()
    {
        LaneSlots = new Dictionary<string, int> { ["local"] = workers },
        QueueDepth = queue,
        GlobalMaxInflight = 100_000,
        CallerMaxInflight = session,
        CallerQueueDepth = sessionQueue,
        CallTimeout = TimeSpan.FromSeconds(60),
        ProgressInterval = TimeSpan.FromSeconds(30),
    };

    private static CallRequest Request(SleepTool tool, string id, string json, bool wait = false)
    {
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey("s", id), tool, doc.RootElement.Clone(), "local", Stream: false, WaitForSlot: wait);
    }

    [Fact]
    public async Task RequestsThatJoinACallRefusedAtItsLane_GetTheRefusalAsTheirResult()
    {
        // One worker busy, its queue full: every new call is refused at the lane, after being visible for a moment to
        // identical calls from other threads, which join it (they used to wait for ever, their keys left behind).
        await using var d = new Dispatcher(Options(workers: 1, queue: 1));
        var tool = new SleepTool();
        var listener = new RecordingListener();
        d.Submit(Request(tool, "busy", """{"ms":60000,"text":"busy"}"""), listener);
        await DispatcherTests.Eventually(() => d.BusySlots == 1);
        d.Submit(Request(tool, "queued", """{"ms":60000,"text":"queued"}"""), listener);
        var statuses = new ConcurrentDictionary<CallKey, SubmitStatus>();

        for (int round = 0; round < 1000; round++)
        {
            Parallel.For(0, 4, i => statuses[new("s", $"r{round}-{i}")] = d.Submit(Request(tool, $"r{round}-{i}", """{"text":"same"}"""), listener).Status);
        }

        d.Cancel(new("s", "busy"));
        d.Cancel(new("s", "queued"));
        var joined = statuses.Where(s => s.Value != SubmitStatus.Refused).Select(s => s.Key).ToList();
        await DispatcherTests.Eventually(() => d.Inflight == 0 && joined.All(k => listener.CompletionsOf(k) == 1));
        Assert.All(statuses.Where(s => s.Value == SubmitStatus.Refused), s => Assert.Equal(0, listener.CompletionsOf(s.Key)));
        Assert.Equal(0, d.InflightKeys);
    }

    [Fact]
    public async Task ACancelOfAKeyStillJoiningATwin_NeverCancelsTheTwinForItsOwnRequester()
    {
        await using var d = new Dispatcher(Options(workers: 4, queue: 64));
        var tool = new SleepTool();
        var listener = new RecordingListener();
        const string args = """{"ms":60000,"text":"x"}""";
        d.Submit(Request(tool, "owner", args), listener);
        int joiners = await SubmitWhileCancellingAsync(d, i => Request(tool, $"j{i}", args), i => new("s", $"j{i}"), listener);
        Assert.Equal(0, listener.CompletionsOf(new("s", "owner"))); // still running for the one who asked for it
        Assert.Equal(1, tool.Started);
        for (int i = 0; i < joiners; i++)
        {
            Assert.Equal(ErrorCodes.Cancelled, (await listener.ResultAsync(new("s", $"j{i}"))).Error!.Code);
        }

        d.Cancel(new("s", "owner"));
        await DispatcherTests.Eventually(() => d.Inflight == 0 && d.InflightKeys == 0);
    }

    [Fact]
    public async Task ACallThatEndsBeforeItJoinsItsSessionQueue_IsNeverQueued()
    {
        await using var d = new Dispatcher(Options(workers: 4, queue: 64, session: 1, sessionQueue: 100_000));
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        d.Submit(Request(tool, "run", """{"ms":60000,"text":"run"}""", wait: true), listener);
        int waiters = await SubmitWhileCancellingAsync(d, i => Request(tool, $"w{i}", $$"""{"text":"w{{i}}"}""", wait: true), i => new("s", $"w{i}"), listener);
        await DispatcherTests.Eventually(() => listener.TotalCompletions == waiters);
        Assert.Equal(0, d.CallerWaiting); // none of the cancelled calls holds a place, though "run" still runs
        Assert.Equal(1, tool.Started);
        d.Cancel(new("s", "run"));
        await DispatcherTests.Eventually(() => d.Inflight == 0 && d.InflightKeys == 0 && d.ActiveCallers == 0);
    }

    /// <summary>
    /// Submits request after request while another thread cancels each one as soon as it can find it, so that many
    /// cancels land while the request is still being set up. Bounded in time, and yielding while it waits, so that
    /// it cannot starve the tests running beside it on a small machine. Returns how many were submitted (all cancelled).
    /// </summary>
    private static async Task<int> SubmitWhileCancellingAsync(Dispatcher d, Func<int, CallRequest> request, Func<int, CallKey> key, RecordingListener listener)
    {
        const int Max = 3_000;
        var budget = System.Diagnostics.Stopwatch.StartNew();
        int submitted = 0;
        var canceller = Task.Run(() =>
        {
            for (int i = 0; ; i++)
            {
                var wait = new SpinWait();
                while (Volatile.Read(ref submitted) <= i)
                {
                    if (Volatile.Read(ref submitted) < 0)
                    {
                        return; // the submitter stopped before this one
                    }

                    wait.SpinOnce(); // spins a little, then yields and sleeps: never a hot loop for long
                }

                // Until it is found: it may still be joining or queueing. A call already ended is found too (its
                // completion is what the test waits for), so this ends as soon as Submit has registered it.
                // Hot at first: the window is a few hundred nanoseconds of Submit on the other thread.
                wait = new SpinWait();
                for (int spins = 0; !d.Cancel(key(i)).Found && listener.CompletionsOf(key(i)) == 0; spins++)
                {
                    if (spins > 10_000)
                    {
                        wait.SpinOnce();
                    }
                }
            }
        }, TestContext.Current.CancellationToken);

        int n = 0;
        for (; n < Max && budget.Elapsed < TimeSpan.FromSeconds(3); n++)
        {
            Volatile.Write(ref submitted, n + 1);
            d.Submit(request(n), listener);
            var wait = new SpinWait();
            while (listener.CompletionsOf(key(n)) == 0 && budget.Elapsed < TimeSpan.FromSeconds(10))
            {
                wait.SpinOnce(); // one at a time: the next is submitted once this one has ended
            }
        }

        Volatile.Write(ref submitted, -1);
        await canceller.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        return n;
    }
}
