namespace ExaiFast.Core.Options;

/// <summary>Limits and timings of the dispatcher. Validated by the composition root; immutable.</summary>
public sealed record DispatcherOptions
{
    /// <summary>Calls running at once, all lanes together (<c>EXAI_WS_GLOBAL_MAX_INFLIGHT</c>); beyond it a call waits in its lane's queue.</summary>
    public int GlobalMaxInflight { get; init; } = 24;

    /// <summary>Calls admitted and not finished per caller (<c>EXAI_WS_SESSION_MAX_INFLIGHT</c>).</summary>
    public int CallerMaxInflight { get; init; } = 8;

    /// <summary>
    /// Calls that may wait per caller beyond <see cref="CallerMaxInflight"/> when their front door asks to wait (MCP;
    /// exai-ws refuses at once): <c>EXAIFAST_SESSION_QUEUE_DEPTH</c>. 0 refuses them at once too.
    /// </summary>
    public int CallerQueueDepth { get; init; } = 64;

    /// <summary>Calls that may wait in one lane's queue (<c>EXAI_WS_QUEUE_DEPTH</c>).</summary>
    public int QueueDepth { get; init; } = 64;

    /// <summary>Slots per lane = the lane's concurrency limit (<c>EXAI_WS_KIMI_MAX_INFLIGHT</c> …; the metrics exaifast_lane_workers* keep their first name).</summary>
    public IReadOnlyDictionary<string, int> LaneSlots { get; init; } = new Dictionary<string, int>
    {
        ["kimi"] = 6,
        ["glm"] = 4,
        ["openai"] = 4,
        ["local"] = 8,
    };

    /// <summary>A call's deadline from admission (<c>EXAI_WS_CALL_TIMEOUT_SECS</c>; default 1.5 × <c>WORKFLOW_TOOL_TIMEOUT_SECS</c>).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Heartbeat progress while a call runs (<c>EXAI_WS_PROGRESS_INTERVAL_SECS</c>).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>How long a finished call's result can be fetched again (<c>EXAI_WS_RESULT_TTL</c>).</summary>
    public TimeSpan ResultTtl { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>Most stored results; the oldest go first (and under memory pressure).</summary>
    public int ResultStoreCapacity { get; init; } = 10_000;

    /// <summary>Tools whose identical concurrent calls must each run (<c>EXAI_WS_DISABLE_COALESCE_FOR_TOOLS</c>).</summary>
    public IReadOnlySet<string> DisableCoalesceFor { get; init; } = new HashSet<string>();

    /// <summary>Managed heap, in bytes, above which stored results are trimmed (<c>EXAIFAST_MEMORY_HIGH_MB</c>; 0: 75% of what the GC may use).</summary>
    public long MemoryHighWaterBytes { get; init; }

    /// <summary>Managed heap, in bytes, above which new calls are refused (<c>EXAIFAST_MEMORY_CRITICAL_MB</c>; 0: 90% of what the GC may use).</summary>
    public long MemoryCriticalBytes { get; init; }

    /// <summary>Growth of the GC's committed memory, in bytes, since the last compaction at which a quiet daemon compacts
    /// its heap and gives the memory back (<c>EXAIFAST_MEMORY_COMPACT_MB</c>; 0: by 32 MiB, and to twice the live heap the last compaction found).</summary>
    public long MemoryCompactGrowthBytes { get; init; }

    /// <summary>How often the memory monitor reads the heap (<c>EXAIFAST_MEMORY_CHECK_SECS</c>).</summary>
    public TimeSpan MemoryCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Calls whose arguments are at most this many bytes of JSON start on the thread that admitted them (a connection's
    /// reader) when their lane has a free slot, and run there until their first real await; bigger ones, and every call
    /// that had to queue, start on the thread pool (<c>EXAIFAST_INLINE_MAX_BYTES</c>; 0: every call starts on the pool).
    /// </summary>
    public int InlineMaxArgumentBytes { get; init; } = 16 * 1024;

    /// <summary>Seconds a refused client is told to wait before retrying.</summary>
    public double OverCapacityRetryAfterSeconds { get; init; } = 1;
}
