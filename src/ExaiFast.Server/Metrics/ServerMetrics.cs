using Prometheus;

namespace ExaiFast.Server.Metrics;

/// <summary>The server's Prometheus metrics, in a registry of its own (several servers can share a process in tests).</summary>
/// <remarks>prometheus-net metrics are thread-safe. Hot loops add per read batch, not per frame.</remarks>
internal sealed class ServerMetrics
{
    /// <summary>Creates the registry and every metric, including the .NET runtime collectors (GC, memory, threads).</summary>
    public ServerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        ConnectionsOpen = f.CreateGauge("exaifast_connections_open", "TCP connections open now.");
        ConnectionsTotal = f.CreateCounter("exaifast_connections_total", "TCP connections accepted since start.");
        WebSocketsOpen = f.CreateGauge("exaifast_websocket_connections_open", "WebSocket connections open now.");
        WebSocketsTotal = f.CreateCounter("exaifast_websocket_connections_total", "WebSocket upgrades completed since start.", "subprotocol");
        ConnectionsRefused = f.CreateCounter("exaifast_connections_refused_total", "Connections refused, by reason.", "reason");
        HttpRequests = f.CreateCounter("exaifast_http_requests_total", "HTTP requests answered, by route and status.", "route", "status");
        FramesReceived = f.CreateCounter("exaifast_ws_frames_received_total", "WebSocket frames received.");
        FramesSent = f.CreateCounter("exaifast_ws_frames_sent_total", "WebSocket frames sent.");
        Writes = f.CreateCounter("exaifast_ws_writes_total", "Flushes of WebSocket frames to sockets (frames sent / writes = frames per send syscall).");
        MessagesReceived = f.CreateCounter("exaifast_ws_messages_received_total", "Complete WebSocket data messages received.");
        BytesReceived = f.CreateCounter("exaifast_bytes_received_total", "Bytes read from sockets.");
        BytesSent = f.CreateCounter("exaifast_bytes_sent_total", "Bytes written to sockets.");
        Closes = f.CreateCounter("exaifast_ws_closes_total", "WebSocket closes by status code and which side started them.", "code", "initiator");
        Timeouts = f.CreateCounter("exaifast_timeouts_total", "Connections dropped by a timeout, by kind.", "kind");
        RateLimited = f.CreateCounter("exaifast_rate_limited_total",
            "Connections (429 at accept) and tool calls (OVER_CAPACITY) refused by a rate limit, by limit: connections_per_ip, calls_per_ip, calls_per_session.", "limit");
        RateLimitBuckets = f.CreateGauge("exaifast_rate_limit_buckets", "Token buckets alive now, by limit: one per client address or session seen lately (idle ones are dropped).", "limit");
        LogDropped = f.CreateCounter("exaifast_log_entries_dropped_total", "Log entries dropped because the logging queue was full.");

        // Thread hand-offs and lock contention are what a call costs beyond its own work: read at scrape time.
        var poolItems = f.CreateGauge("dotnet_threadpool_completed_items", "Work items the .NET thread pool has run since start (hand-offs between threads).");
        var poolThreads = f.CreateGauge("dotnet_threadpool_threads", "Threads in the .NET thread pool now.");
        var contentions = f.CreateGauge("dotnet_lock_contentions", "Times a thread found a lock taken, since start.");
        Registry.AddBeforeCollectCallback(() =>
        {
            poolItems.Set(ThreadPool.CompletedWorkItemCount);
            poolThreads.Set(ThreadPool.ThreadCount);
            contentions.Set(Monitor.LockContentionCount);
        });

        InboundBytesInFlight = f.CreateGauge("exaifast_inbound_bytes_in_flight", "Bytes of big inbound messages being assembled, parsed or read by their call (held in the inbound budget).");
        InboundBudget = f.CreateGauge("exaifast_inbound_budget_bytes", "The inbound budget (EXAIFAST_INBOUND_BUDGET_MB) in bytes.");
        InboundBudgetWaits = f.CreateCounter("exaifast_inbound_budget_waits_total", "Big messages that waited for inbound budget (their socket not read meanwhile).");
        InboundBudgetRefusals = f.CreateCounter("exaifast_inbound_budget_refusals_total",
            "Connections closed 1008 because a big message waited for budget (wait) or held it (hold) longer than EXAIFAST_INBOUND_BUDGET_TIMEOUT.", "reason");
    }

    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>TCP connections open now.</summary>
    public Gauge ConnectionsOpen { get; }

    /// <summary>TCP connections accepted since start.</summary>
    public Counter ConnectionsTotal { get; }

    /// <summary>WebSocket connections open now.</summary>
    public Gauge WebSocketsOpen { get; }

    /// <summary>WebSocket upgrades, by subprotocol (<c>exai-ws</c> or <c>mcp</c>).</summary>
    public Counter WebSocketsTotal { get; }

    /// <summary>Refusals: <c>max_connections</c>, <c>max_connections_per_ip</c> (503 at accept), <c>rate_per_ip</c> (429 at
    /// accept, also in <see cref="RateLimited"/>), <c>draining</c>, <c>unauthorized</c>.</summary>
    public Counter ConnectionsRefused { get; }

    /// <summary>HTTP answers by route and status code.</summary>
    public Counter HttpRequests { get; }

    /// <summary>Frames received.</summary>
    public Counter FramesReceived { get; }

    /// <summary>Frames sent.</summary>
    public Counter FramesSent { get; }

    /// <summary>Flushes of queued frames to sockets: an ack and the result ready with it make one.</summary>
    public Counter Writes { get; }

    /// <summary>Data messages received.</summary>
    public Counter MessagesReceived { get; }

    /// <summary>Bytes read from sockets (HTTP and WebSocket).</summary>
    public Counter BytesReceived { get; }

    /// <summary>Bytes written to sockets.</summary>
    public Counter BytesSent { get; }

    /// <summary>Closes by code and initiator (<c>client</c>, <c>server</c>); code <c>1006</c> means the TCP connection ended without one.</summary>
    public Counter Closes { get; }

    /// <summary>Timeouts: <c>handshake</c> (request head), <c>keepalive</c> (idle between requests), <c>body</c> (408),
    /// <c>write</c> (a response that cannot flush), <c>ping</c>, <c>close</c>.</summary>
    public Counter Timeouts { get; }

    /// <summary>Refusals by a rate limit: <c>connections_per_ip</c>, <c>calls_per_ip</c>, <c>calls_per_session</c>.</summary>
    public Counter RateLimited { get; }

    /// <summary>Live token buckets by limit (read at scrape time).</summary>
    public Gauge RateLimitBuckets { get; }

    /// <summary>Log entries dropped by a full logging queue.</summary>
    public Counter LogDropped { get; }

    /// <summary>Bytes held in the inbound budget now.</summary>
    public Gauge InboundBytesInFlight { get; }

    /// <summary>The inbound budget's size.</summary>
    public Gauge InboundBudget { get; }

    /// <summary>Big messages that had to wait for budget.</summary>
    public Counter InboundBudgetWaits { get; }

    /// <summary>Connections ended with 1008 by the budget's timeout, by reason (<c>wait</c>, <c>hold</c>).</summary>
    public Counter InboundBudgetRefusals { get; }

    /// <summary>Writes the Prometheus text exposition.</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
