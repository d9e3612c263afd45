using System.Net;
using ExaiFast.Core.Options;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Configuration;

/// <summary>Every setting <c>serve</c> understands: the single table that binding, validation and help read from.</summary>
public static class SettingsCatalog
{
    /// <summary>The settings, in help order.</summary>
    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        SettingDefinition.Text("EXAI_WS_HOST", "--host", "Address to listen on (IPv4/IPv6 literal, localhost, 0.0.0.0 or ::).", "127.0.0.1",
            v => v.Trim() is "localhost" or "*" || IPAddress.TryParse(v.Trim().Trim('[', ']'), out _) ? null : "an IP address, localhost, 0.0.0.0 or ::",
            (s, v) => s with { Server = s.Server with { Host = v } }),
        SettingDefinition.Int("EXAI_WS_PORT", "--port", "TCP port; 0 lets the OS choose.", 8079, 0, 65535,
            (s, v) => s with { Server = s.Server with { Port = (int)v } }),
        SettingDefinition.Int("EXAI_WS_MAX_BYTES", "--max-bytes", "Largest WebSocket message, in bytes (larger: close 1009).", 32L * 1024 * 1024, 1024, 1024L * 1024 * 1024,
            (s, v) => s with { Server = s.Server with { MaxMessageBytes = v } }),
        SettingDefinition.Seconds("EXAI_WS_HANDSHAKE_TIMEOUT", "--handshake-timeout", "Seconds allowed for a complete HTTP request head (slowloris guard).", 10, 0.05, 3600,
            (s, v) => s with { Server = s.Server with { HandshakeTimeout = v } }),
        SettingDefinition.Int("EXAIFAST_HTTP_MAX_BODY_BYTES", "--http-max-body-bytes", "Largest HTTP request body, in bytes (larger: 413 before it is read); 0: EXAI_WS_MAX_BYTES.", 0, 0, 1024L * 1024 * 1024,
            (s, v) => s with { Server = s.Server with { MaxRequestBodyBytes = v } }),
        SettingDefinition.Seconds("EXAIFAST_HTTP_BODY_TIMEOUT", "--http-body-timeout", "Seconds allowed for a whole HTTP request body (then 408).", 30, 0.05, 3600,
            (s, v) => s with { Server = s.Server with { RequestBodyTimeout = v } }),
        SettingDefinition.Int("EXAIFAST_HTTP_MIN_BODY_RATE", "--http-min-body-rate", "Slowest average HTTP request body rate in bytes/s after a 5 s grace (then 408); 0 disables.", 240, 0, 1024L * 1024 * 1024,
            (s, v) => s with { Server = s.Server with { MinRequestBodyRate = v } }),
        SettingDefinition.Seconds("EXAIFAST_HTTP_KEEPALIVE_TIMEOUT", "--http-keepalive-timeout", "Seconds an idle HTTP connection waits for its next request (responses announce a few seconds less).", 30, 0.05, 3600,
            (s, v) => s with { Server = s.Server with { KeepAliveTimeout = v } }),
        SettingDefinition.Seconds("EXAIFAST_HTTP_SSE_KEEPALIVE", "--http-sse-keepalive", "Seconds of silence on an open event stream before a keep-alive comment is written.", 15, 0.05, 3600,
            (s, v) => s with { Server = s.Server with { EventStreamKeepAlive = v } }),
        SettingDefinition.Seconds("EXAI_WS_PING_INTERVAL", "--ping-interval", "Seconds of peer silence before the server pings.", 30, 0.05, 86400,
            (s, v) => s with { Server = s.Server with { PingInterval = v } }),
        SettingDefinition.Seconds("EXAI_WS_PING_TIMEOUT", "--ping-timeout", "Seconds after the ping interval before a silent peer is closed.", 10, 0.05, 86400,
            (s, v) => s with { Server = s.Server with { PingTimeout = v } }),
        SettingDefinition.Seconds("EXAI_WS_CLOSE_TIMEOUT", "--close-timeout", "Seconds to wait for the peer's close frame after ours.", 5, 0.05, 600,
            (s, v) => s with { Server = s.Server with { CloseTimeout = v } }),
        SettingDefinition.Seconds("EXAI_WS_DRAIN_SECS", "--drain-timeout", "Seconds shutdown waits for connections to finish before aborting them.", 10, 0, 3600,
            (s, v) => s with { Server = s.Server with { DrainTimeout = v } }),
        SettingDefinition.Int("EXAI_WS_MAX_CONNECTIONS", "--max-connections", "Most connections at once, HTTP and WebSocket, counted from accept (more: 503, closed).", 10_000, 1, 1_000_000,
            (s, v) => s with { Server = s.Server with { MaxConnections = (int)v } }),
        SettingDefinition.Int("EXAI_WS_MAX_CONNECTIONS_PER_IP", "--max-connections-per-ip", "Most connections from one address, counted from accept (more: 503, closed).", 1_000, 1, 1_000_000,
            (s, v) => s with { Server = s.Server with { MaxConnectionsPerIp = (int)v } }),
        SettingDefinition.Int("EXAI_WS_OUTBOUND_QUEUE", "--outbound-queue", "Frames queued per connection before senders wait.", 256, 1, 65_536,
            (s, v) => s with { Server = s.Server with { OutboundQueueFrames = (int)v } }),
        SettingDefinition.Text("EXAI_WS_ALLOWED_ORIGINS", "--allowed-origins", "Comma-separated browser origins allowed besides http://localhost and http://127.0.0.1 ('*' for any).", "",
            v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(o => o == "*" || Uri.TryCreate(o, UriKind.Absolute, out _)) ? null : "a comma-separated list of origins such as https://example.com",
            (s, v) => s with { Server = s.Server with { AllowedOrigins = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) } }),
        SettingDefinition.Text("EXAI_WS_TOKEN", null, "Shared secret every hello must carry (empty: no authentication, loopback only). Environment or .env only, never a flag.", "",
            ValidateToken, (s, v) => s with { ExaiWs = s.ExaiWs with { Token = v } }),
        SettingDefinition.Switch("EXAI_WS_ALLOW_REMOTE_WITHOUT_TOKEN", "--allow-remote-without-token", "Allow listening on a non-loopback address with no token.",
            (s, v) => s with { AllowRemoteWithoutToken = v }),
        SettingDefinition.Seconds("EXAI_WS_HELLO_TIMEOUT", "--hello-timeout", "Seconds allowed for the hello frame (then close 4002).", 15, 0.05, 3600,
            (s, v) => s with { ExaiWs = s.ExaiWs with { HelloTimeout = v } }),
        SettingDefinition.Seconds("EXAI_WS_DISCONNECT_GRACE_SECS", "--disconnect-grace", "Seconds a disconnected session's calls keep running for a reconnect (0: cancel at once).", 15, 0, 3600,
            (s, v) => s with { ExaiWs = s.ExaiWs with { DisconnectGrace = v } }),
        SettingDefinition.Int("EXAI_WS_GLOBAL_MAX_INFLIGHT", "--global-max-inflight", "Calls queued or running at once, all providers.", 24, 1, 100_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { GlobalMaxInflight = (int)v } }),
        SettingDefinition.Int("EXAI_WS_SESSION_MAX_INFLIGHT", "--session-max-inflight", "Calls queued or running at once per session.", 8, 1, 100_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { SessionMaxInflight = (int)v } }),
        SettingDefinition.Int("EXAIFAST_SESSION_QUEUE_DEPTH", "--session-queue-depth",
            "MCP calls that wait per session beyond EXAI_WS_SESSION_MAX_INFLIGHT (MCP clients do not retry; exai-ws is refused at once); 0 refuses them too.", 64, 0, 100_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { SessionQueueDepth = (int)v } }),
        SettingDefinition.Int("EXAIFAST_MCP_MAX_SESSIONS", "--mcp-max-sessions",
            "Most MCP Streamable HTTP sessions (Mcp-Session-Id) at once; when full, the least recently used idle one makes room.", 1_000, 1, 1_000_000,
            (s, v) => s with { Mcp = s.Mcp with { MaxSessions = (int)v } }),
        SettingDefinition.Seconds("EXAIFAST_MCP_SESSION_IDLE_SECS", "--mcp-session-idle", "Seconds an MCP Streamable HTTP session lives without a request.", 1_800, 1, 86_400 * 7,
            (s, v) => s with { Mcp = s.Mcp with { SessionIdleTimeout = v } }),
        SettingDefinition.Switch("EXAIFAST_CONFORMANCE_TOOLS", "--conformance-tools",
            "Also offer the MCP conformance suite's test tools (test_simple_text, test_image_content, ...; scripts/conformance.sh).",
            (s, v) => s with { ConformanceTools = v }),
        SettingDefinition.Int("EXAI_WS_KIMI_MAX_INFLIGHT", null, "Workers (concurrent calls) of the kimi lane.", 6, 1, 10_000, (s, v) => WithLane(s, "kimi", v)),
        SettingDefinition.Int("EXAI_WS_GLM_MAX_INFLIGHT", null, "Workers of the glm lane.", 4, 1, 10_000, (s, v) => WithLane(s, "glm", v)),
        SettingDefinition.Int("EXAI_WS_OPENAI_MAX_INFLIGHT", null, "Workers of the openai (OpenAI-compatible) lane.", 4, 1, 10_000, (s, v) => WithLane(s, "openai", v)),
        SettingDefinition.Int("EXAI_WS_LOCAL_MAX_INFLIGHT", null, "Workers of the local lane (offline model and model-less tools).", 8, 1, 10_000, (s, v) => WithLane(s, "local", v)),
        SettingDefinition.Int("EXAI_WS_QUEUE_DEPTH", "--queue-depth", "Calls that may wait in one lane's queue.", 64, 1, 100_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { QueueDepth = (int)v } }),
        SettingDefinition.Seconds("WORKFLOW_TOOL_TIMEOUT_SECS", null, "The original's tool timeout; the call deadline defaults to 1.5 × this.", 120, 0.05, 86400,
            (s, v) => s with { WorkflowToolTimeout = v }),
        SettingDefinition.Seconds("EXAI_WS_CALL_TIMEOUT_SECS", "--call-timeout", "A call's deadline from admission (default 1.5 × WORKFLOW_TOOL_TIMEOUT_SECS = 180).", 180, 0.01, 86400,
            (s, v) => s with { CallTimeout = v }),
        SettingDefinition.Seconds("EXAI_WS_PROGRESS_INTERVAL_SECS", "--progress-interval", "Seconds between progress heartbeats of a running call.", 8, 0.01, 3600,
            (s, v) => s with { Dispatcher = s.Dispatcher with { ProgressInterval = v } }),
        SettingDefinition.Seconds("EXAI_WS_RESULT_TTL", "--result-ttl", "Seconds a finished call's result can be fetched again (same session and request_id).", 600, 0, 86400,
            (s, v) => s with { Dispatcher = s.Dispatcher with { ResultTtl = v } }),
        SettingDefinition.Text("EXAI_WS_DISABLE_COALESCE_FOR_TOOLS", "--disable-coalesce-for", "Comma-separated tools whose identical concurrent calls must each run.", "",
            _ => null, (s, v) => s with { Dispatcher = s.Dispatcher with { DisableCoalesceFor = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) } }),
        SettingDefinition.Int("EXAIFAST_MEMORY_HIGH_MB", "--memory-high-mb", "Managed heap (MiB) at which stored results are trimmed; 0: 75% of the memory the GC may use.", 0, 0, 16L * 1024 * 1024,
            (s, v) => s with { Dispatcher = s.Dispatcher with { MemoryHighWaterBytes = v << 20 } }),
        SettingDefinition.Int("EXAIFAST_MEMORY_CRITICAL_MB", "--memory-critical-mb", "Managed heap (MiB) at which new calls are refused (OVER_CAPACITY) until it recovers; 0: 90% of the memory the GC may use.", 0, 0, 16L * 1024 * 1024,
            (s, v) => s with { Dispatcher = s.Dispatcher with { MemoryCriticalBytes = v << 20 } }),
        SettingDefinition.Seconds("EXAIFAST_MEMORY_CHECK_SECS", "--memory-check-interval", "Seconds between two readings of the managed heap.", 1, 0.05, 3600,
            (s, v) => s with { Dispatcher = s.Dispatcher with { MemoryCheckInterval = v } }),
        SettingDefinition.Int("LOCAL_MODEL_LATENCY_MS", "--local-latency-ms", "Simulated latency of the offline local model per request.", 0, 0, 600_000,
            (s, v) => s with { LocalModelLatency = TimeSpan.FromMilliseconds(v) }),
        SettingDefinition.Choice("EXAIFAST_TRANSPORT", "--transport", "Socket adapter: streams (BCL NetworkStream + PipeReader/PipeWriter) or sockets (Pipelines.Sockets.Unofficial).", "streams", ["streams", "sockets"],
            (s, v) => s with { Server = s.Server with { Transport = v == "sockets" ? SocketTransport.Sockets : SocketTransport.Streams } }),
        SettingDefinition.Choice("EXAIFAST_SOCKET_INLINE_COMPLETIONS", "--socket-inline-completions", "Run socket completions on the epoll threads (lower latency and CPU; 'off' queues them to the thread pool).", "on", ["on", "off"],
            (s, v) => s with { SocketInlineCompletions = v == "on" }),
        SettingDefinition.Choice("EXAIFAST_LOG_LEVEL", "--log-level", "Lowest log level written.", "information", ["trace", "debug", "information", "warning", "error", "critical", "none"],
            (s, v) => s with { Log = s.Log with { Level = Enum.Parse<LogLevel>(v, ignoreCase: true) } }),
        SettingDefinition.Choice("EXAIFAST_LOG_FORMAT", "--log-format", "Log line format.", "text", ["text", "json"],
            (s, v) => s with { Log = s.Log with { Json = v == "json" } }),
        SettingDefinition.Text("EXAIFAST_LOG_FILE", "--log-file", "Append logs to this file instead of stderr.", "",
            v => v.IndexOfAny(Path.GetInvalidPathChars()) >= 0 ? "a file path" : null,
            (s, v) => s with { Log = s.Log with { File = v.Length == 0 ? null : v } }),
        SettingDefinition.Int("EXAIFAST_LOG_QUEUE", "--log-queue", "Log entries queued before new ones are dropped (and counted).", 10_000, 16, 10_000_000,
            (s, v) => s with { Log = s.Log with { QueueCapacity = (int)v } }),
    ];

    // Empty means "no authentication" on purpose; a value that is blank once trimmed would mean the same thing by
    // accident (the operator believes a token is set), and a control character cannot travel in the Authorization
    // header PROTOCOL.md promises for MCP. Both are refused before the socket is bound.
    private static string? ValidateToken(string value) =>
        value.Length > 0 && (value.Trim().Length == 0 || value.Trim().Any(char.IsControl)) ? "a non-blank secret without control characters" : null;

    private static ExaiFastSettings WithLane(ExaiFastSettings s, string lane, long workers) =>
        s with { Dispatcher = s.Dispatcher with { LaneWorkers = new Dictionary<string, int>(s.Dispatcher.LaneWorkers) { [lane] = (int)workers } } };
}
