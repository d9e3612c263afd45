using Prometheus;

namespace ExaiFast.Core.Dispatch;

/// <summary>The dispatcher's Prometheus metrics, registered in the server's registry.</summary>
public sealed class DispatchMetrics
{
    /// <summary>Creates the metrics in <paramref name="registry"/>.</summary>
    public DispatchMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        Calls = f.CreateCounter("exaifast_calls_total", "Tool calls by tool and outcome (ok, error, timeout, cancelled, refused).", "tool", "outcome");
        Submissions = f.CreateCounter("exaifast_call_submissions_total", "call_tool requests by what admission did (accepted, attached, coalesced, replayed, refused).", "status");
        Inflight = f.CreateGauge("exaifast_calls_inflight", "Calls admitted and not finished (queued or running).");
        Queued = f.CreateGauge("exaifast_lane_queued", "Calls waiting in a lane's queue.", "lane");
        CallerWaiting = f.CreateGauge("exaifast_session_waiting", "MCP calls waiting for a slot of their session (beyond EXAI_WS_SESSION_MAX_INFLIGHT).");
        Busy = f.CreateGauge("exaifast_lane_workers_busy", "Slots of a lane executing a call now.", "lane");
        LaneHops = f.CreateCounter("exaifast_lane_hops_total", "Running calls that moved to another lane (a fallback to another provider), by lanes and outcome (run: a slot was free; queued: it waited for one; refused: that lane's queue was full).", "from", "to", "outcome");
        Slots = f.CreateGauge("exaifast_lane_workers", "Slots of a lane (its concurrency limit).", "lane");
        QueueSeconds = f.CreateHistogram("exaifast_call_queue_seconds", "Time from admission to a worker starting the call.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 4, 10) });
        RunSeconds = f.CreateHistogram("exaifast_call_run_seconds", "Time a worker spent executing a call.",
            new HistogramConfiguration { LabelNames = ["tool"], Buckets = Histogram.ExponentialBuckets(0.001, 4, 10) });
        StoredResults = f.CreateGauge("exaifast_results_stored", "Finished results kept for re-delivery.");
        TrimmedResults = f.CreateCounter("exaifast_results_trimmed_total", "Stored results dropped early because of memory pressure (with any expired ones swept at the same time).");
        MemoryPressure = f.CreateGauge("exaifast_memory_pressure", "Memory monitor level: 0 normal, 1 high (results trimmed), 2 critical (new calls refused).");
        HeapBytes = f.CreateGauge("exaifast_memory_heap_bytes", "Managed heap as the memory monitor last read it.");
        CommittedBytes = f.CreateGauge("exaifast_memory_committed_bytes", "Memory the GC has committed (live objects, garbage and free space it keeps) as the memory monitor last read it; RSS above it is native.");
        MemoryHighWater = f.CreateGauge("exaifast_memory_high_water_bytes", "Managed heap at which stored results are trimmed.");
        MemoryCritical = f.CreateGauge("exaifast_memory_critical_bytes", "Managed heap at which new calls are refused.");
        MemoryCompactions = f.CreateCounter("exaifast_memory_compactions_total", "Compacting full collections the memory monitor ran to give memory back after a burst (daemon quiet, footprint grown).");
        _submissions = [.. new[] { "accepted", "attached", "coalesced", "replayed", "refused" }.Select(s => Submissions.WithLabels(s))];
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ToolSeries> _tools = new(StringComparer.Ordinal);
    private readonly Counter.Child[] _submissions;

    /// <summary>The series of <paramref name="tool"/>'s calls.</summary>
    internal ToolSeries For(string tool) => _tools.TryGetValue(tool, out var series) ? series : _tools.GetOrAdd(tool, static (t, m) => new ToolSeries(m, t), this);

    /// <summary>Ended calls' time from admission to result, for percentiles (the dashboard).</summary>
    public CallLatency Latency { get; } = new();

    /// <summary>Calls so far by outcome, every tool's summed (the dashboard).</summary>
    public CallOutcomes Outcomes()
    {
        double ok = 0, error = 0, timeout = 0, cancelled = 0, refused = 0;
        foreach (var series in _tools.Values)
        {
            ok += series.Ok.Value;
            error += series.Error.Value;
            timeout += series.Timeout.Value;
            cancelled += series.Cancelled.Value;
            refused += series.Refused.Value;
        }

        return new CallOutcomes((long)ok, (long)error, (long)timeout, (long)cancelled, (long)refused);
    }

    /// <summary>The submissions counted under <paramref name="status"/>.</summary>
    internal Counter.Child SubmittedAs(SubmitStatus status) => _submissions[status switch
    {
        SubmitStatus.Accepted => 0,
        SubmitStatus.Attached => 1,
        SubmitStatus.Coalesced => 2,
        SubmitStatus.Replayed => 3,
        _ => 4,
    }];

    /// <summary>The registry the metrics live in.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Calls by tool and outcome.</summary>
    public Counter Calls { get; }

    /// <summary>Submissions by admission status.</summary>
    public Counter Submissions { get; }

    /// <summary>In-flight calls.</summary>
    public Gauge Inflight { get; }

    /// <summary>Queue length per lane (set at collection time).</summary>
    public Gauge Queued { get; }

    /// <summary>Busy slots per lane (set at collection time).</summary>
    public Gauge Busy { get; }

    /// <summary>Calls waiting for a slot of their caller.</summary>
    public Gauge CallerWaiting { get; }

    /// <summary>Lane hops by lanes and outcome.</summary>
    public Counter LaneHops { get; }

    /// <summary>Slots per lane.</summary>
    public Gauge Slots { get; }

    /// <summary>Queue latency.</summary>
    public Histogram QueueSeconds { get; }

    /// <summary>Run latency by tool.</summary>
    public Histogram RunSeconds { get; }

    /// <summary>Results in the result store.</summary>
    public Gauge StoredResults { get; }

    /// <summary>Results dropped under memory pressure.</summary>
    public Counter TrimmedResults { get; }

    /// <summary>The memory monitor's level (0, 1, 2).</summary>
    public Gauge MemoryPressure { get; }

    /// <summary>The memory monitor's last heap reading.</summary>
    public Gauge HeapBytes { get; }

    /// <summary>The memory monitor's last reading of the GC's committed memory.</summary>
    public Gauge CommittedBytes { get; }

    /// <summary>The high-water mark.</summary>
    public Gauge MemoryHighWater { get; }

    /// <summary>The critical mark.</summary>
    public Gauge MemoryCritical { get; }

    /// <summary>Compactions run by the memory monitor.</summary>
    public Counter MemoryCompactions { get; }
}
