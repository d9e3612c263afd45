using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace ExaiFast.Core.Tests;

/// <summary>What the dispatcher does at each memory level: trim stored results when high, refuse new calls when critical.</summary>
public class MemoryPressureTests
{
    private static readonly MemoryMarks Marks = new(100 << 20, 200 << 20);

    private static (Dispatcher Dispatcher, TestHeap Heap, FakeTimeProvider Clock, DispatchMetrics Metrics) Create(int storeCapacity = 10_000)
    {
        var heap = new TestHeap { Live = 10 << 20 };
        var clock = new FakeTimeProvider();
        var metrics = new DispatchMetrics(new CollectorRegistry());
        var options = new DispatcherOptions
        {
            LaneSlots = new Dictionary<string, int> { ["local"] = 4 },
            GlobalMaxInflight = 100,
            CallerMaxInflight = 100,
            ResultStoreCapacity = storeCapacity,
            MemoryCheckInterval = TimeSpan.FromSeconds(1),
            ProgressInterval = TimeSpan.FromHours(1),
        };
        var monitor = new MemoryMonitor(Marks, clock, heap.Read, heap.Collect);
        return (new Dispatcher(options, clock, metrics, logger: null, monitor), heap, clock, metrics);
    }

    private static CallRequest Request(SleepTool tool, string id, string json = "{}")
    {
        using var doc = JsonDocument.Parse(json);
        return new CallRequest(new CallKey("s1", id), tool, doc.RootElement.Clone(), "local", Stream: false, Timeout: null);
    }

    /// <summary>Lets the monitor's timer fire once and waits until its check has run.</summary>
    private static async Task TickAsync(Dispatcher d, FakeTimeProvider clock, MemoryPressure expected)
    {
        clock.Advance(TimeSpan.FromSeconds(1));
        await DispatcherTests.Eventually(() => d.MemoryPressure == expected);
    }

    [Fact]
    public async Task CriticalPressure_RefusesNewCalls_AtOnce_WhileRepeatsAreStillAnswered_AndRecoveryLetsCallsIn()
    {
        var (d, heap, clock, _) = Create();
        await using var _ = d;
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        d.Submit(Request(tool, "done"), listener);
        await listener.ResultAsync(new CallKey("s1", "done"));
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, "long", """{"ms":30000}"""), listener).Status);
        await DispatcherTests.Eventually(() => tool.Started == 2); // "long" is running

        heap.Live = 250 << 20;
        await TickAsync(d, clock, MemoryPressure.Critical);

        var refused = d.Submit(Request(tool, "new"), listener);
        Assert.Equal(SubmitStatus.Refused, refused.Status);
        Assert.Equal(ErrorCodes.OverCapacity, refused.Result!.Error!.Code);
        Assert.Contains("memory", refused.Result.Error.Message, StringComparison.Ordinal);
        Assert.True(refused.Result.Error.RetryAfterSeconds >= 1);
        Assert.Equal(SubmitStatus.Replayed, d.Submit(Request(tool, "done"), listener).Status);  // costs nothing new
        Assert.Equal(SubmitStatus.Attached, d.Submit(Request(tool, "long"), listener).Status);  // nor does this
        Assert.Equal(2, tool.Started); // nothing new ran

        heap.Live = 150 << 20; // below critical, still high
        await TickAsync(d, clock, MemoryPressure.High);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, "new"), listener).Status);
        Assert.True((await listener.ResultAsync(new CallKey("s1", "new"))).Ok);

        d.Cancel(new CallKey("s1", "long"));
        await DispatcherTests.Eventually(() => d.Inflight == 0);
    }

    [Fact]
    public async Task HighPressure_TrimsStoredResults_ToAQuarterOfTheCapacity_OldestFirst()
    {
        var (d, heap, clock, metrics) = Create(storeCapacity: 40);
        await using var _ = d;
        var tool = new SleepTool(coalescable: false);
        var listener = new RecordingListener();
        for (int i = 0; i < 40; i++)
        {
            d.Submit(Request(tool, $"r{i}"), listener);
            await listener.ResultAsync(new CallKey("s1", $"r{i}"));
        }

        heap.Live = 120 << 20;
        await TickAsync(d, clock, MemoryPressure.High);
        await DispatcherTests.Eventually(() => metrics.TrimmedResults.Value == 30);

        // The newest ten are still replayed; the oldest thirty are gone, so their ids run afresh.
        for (int i = 30; i < 40; i++)
        {
            Assert.Equal(SubmitStatus.Replayed, d.Submit(Request(tool, $"r{i}"), listener).Status);
        }

        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, "r0"), new RecordingListener()).Status);
        Assert.Equal(SubmitStatus.Accepted, d.Submit(Request(tool, "r29"), new RecordingListener()).Status);
        await DispatcherTests.Eventually(() => d.Inflight == 0);
    }

    [Fact]
    public async Task Gauges_ShowTheLevel_TheReading_AndTheMarks()
    {
        var (d, heap, clock, metrics) = Create();
        await using var _ = d;
        heap.Live = 250 << 20;
        await TickAsync(d, clock, MemoryPressure.Critical);

        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
        string text = System.Text.Encoding.UTF8.GetString(stream.ToArray());

        Assert.Contains("exaifast_memory_pressure 2", text, StringComparison.Ordinal);
        Assert.Contains($"exaifast_memory_heap_bytes {250 << 20}", text, StringComparison.Ordinal);
        Assert.Contains($"exaifast_memory_high_water_bytes {100 << 20}", text, StringComparison.Ordinal);
        Assert.Contains($"exaifast_memory_critical_bytes {200 << 20}", text, StringComparison.Ordinal);
    }
}
