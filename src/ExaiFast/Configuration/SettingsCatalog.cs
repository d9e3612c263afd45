using System.Globalization;
using System.Net;
using ExaiFast.Server.OAuth;
using ExaiFast.Server.Options;
using ExaiFast.Tools.Catalog;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Configuration;

/// <summary>Every setting <c>serve</c> understands: the single table that binding, validation and help read from.</summary>
internal static class SettingsCatalog
{
    /// <summary>The settings, in help order.</summary>
    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        SettingDefinition.Text("EXAI_WS_HOST", "--host", "Address to listen on (IPv4/IPv6 literal, localhost, 0.0.0.0 or ::).", "127.0.0.1",
            "an IP address, localhost, 0.0.0.0 or ::", v => v.Trim() is "localhost" or "*" || IPAddress.TryParse(v.Trim().Trim('[', ']'), out _),
            (s, v) => s with { Server = s.Server with { Host = v } }),
        SettingDefinition.Int("EXAI_WS_PORT", "--port", "TCP port; 0 lets the OS choose.", 8079, 0, 65535,
            (s, v) => s with { Server = s.Server with { Port = (int)v } }),
        SettingDefinition.Int("EXAI_WS_MAX_BYTES", "--max-bytes", "Largest WebSocket message, in bytes (larger: close 1009).", 32L * 1024 * 1024, 1024, 1024L * 1024 * 1024,
            (s, v) => s with { Server = s.Server with { MaxMessageBytes = v } }),
        SettingDefinition.Int("EXAIFAST_INBOUND_BUDGET_MB", "--inbound-budget-mb",
            "MiB of big WebSocket messages, HTTP bodies and stdio lines (over 1 MiB) assembled, parsed or read by their calls at once, daemon-wide; one that does not fit waits unread. 0: 256 or EXAI_WS_MAX_BYTES, whichever is larger.", 0, 0, 1024L * 1024,
            (s, v) => s with { Server = s.Server with { InboundBudgetBytes = v << 20 } }),
        SettingDefinition.Seconds("EXAIFAST_INBOUND_BUDGET_TIMEOUT", "--inbound-budget-timeout",
            "Seconds a big message may wait for inbound budget, and may hold it while it arrives (then close 1008; a stdio line is refused).", 30, 0.05, 3600,
            (s, v) => s with { Server = s.Server with { InboundBudgetTimeout = v } }),
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
        SettingDefinition.Int("EXAIFAST_RATE_CONNECTIONS_PER_IP", "--rate-connections-per-ip",
            "New connections a minute from one address (IPv6: one /64), as a token bucket; more: 429 with Retry-After before the request is read. Loopback is exempt (see EXAIFAST_RATE_LIMIT_LOOPBACK); 0: off.", 600, 0, 1_000_000,
            (s, v) => WithRates(s, r => r with { ConnectionsPerIp = r.ConnectionsPerIp with { PerMinute = (int)v } })),
        SettingDefinition.Int("EXAIFAST_RATE_CONNECTIONS_BURST", "--rate-connections-burst", "New connections one address may open at once from a full bucket; 0: the per-minute rate.", 0, 0, 1_000_000,
            (s, v) => WithRates(s, r => r with { ConnectionsPerIp = r.ConnectionsPerIp with { Burst = (int)v } })),
        SettingDefinition.Int("EXAIFAST_RATE_CALLS_PER_IP", "--rate-calls-per-ip",
            "Tool calls a minute from one address over every door and session (IPv6: one /64); more: OVER_CAPACITY with retry_after. Loopback is exempt (see EXAIFAST_RATE_LIMIT_LOOPBACK); 0: off.", 0, 0, 1_000_000,
            (s, v) => WithRates(s, r => r with { CallsPerIp = r.CallsPerIp with { PerMinute = (int)v } })),
        SettingDefinition.Int("EXAIFAST_RATE_CALLS_PER_IP_BURST", "--rate-calls-per-ip-burst", "Tool calls one address may make at once from a full bucket; 0: the per-minute rate.", 0, 0, 1_000_000,
            (s, v) => WithRates(s, r => r with { CallsPerIp = r.CallsPerIp with { Burst = (int)v } })),
        SettingDefinition.Int("EXAIFAST_RATE_CALLS_PER_SESSION", "--rate-calls-per-session",
            "Tool calls a minute per session (exai-ws session, MCP connection or Mcp-Session-Id), loopback included: behind a reverse proxy every client has the proxy's address, so this is the limit that tells them apart. More: OVER_CAPACITY with retry_after; 0: off.", 0, 0, 1_000_000,
            (s, v) => WithRates(s, r => r with { CallsPerSession = r.CallsPerSession with { PerMinute = (int)v } })),
        SettingDefinition.Int("EXAIFAST_RATE_CALLS_PER_SESSION_BURST", "--rate-calls-per-session-burst", "Tool calls one session may make at once from a full bucket; 0: the per-minute rate.", 0, 0, 1_000_000,
            (s, v) => WithRates(s, r => r with { CallsPerSession = r.CallsPerSession with { Burst = (int)v } })),
        SettingDefinition.Switch("EXAIFAST_RATE_LIMIT_LOOPBACK", "--rate-limit-loopback",
            "Apply the per-address rate limits to loopback clients too. Off by default: on a workstation the loopback client is the user's own MCP bridge, and a reverse proxy on the same host gives every client its address.",
            (s, v) => WithRates(s, r => r with { LimitLoopback = v })),
        SettingDefinition.Int("EXAI_WS_OUTBOUND_QUEUE", "--outbound-queue", "Frames queued per connection before senders wait.", 256, 1, 65_536,
            (s, v) => s with { Server = s.Server with { OutboundQueueFrames = (int)v } }),
        SettingDefinition.Text("EXAI_WS_ALLOWED_ORIGINS", "--allowed-origins", "Comma-separated browser origins allowed besides http://localhost and http://127.0.0.1 ('*' for any).", "",
            "a comma-separated list of origins such as https://example.com",
            v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(o => o == "*" || Uri.TryCreate(o, UriKind.Absolute, out _)),
            (s, v) => s with { Server = s.Server with { AllowedOrigins = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) } }),
        SettingDefinition.Text("EXAI_WS_TOKEN", null, "Shared secret every hello must carry (empty: no authentication, loopback only). Environment or .env only, never a flag.", "",
            "a non-blank secret without control characters", IsValidToken, (s, v) => s with { ExaiWs = s.ExaiWs with { Token = v } }),
        SettingDefinition.Switch("EXAI_WS_ALLOW_REMOTE_WITHOUT_TOKEN", "--allow-remote-without-token", "Allow listening on a non-loopback address with no token.",
            (s, v) => s with { AllowRemoteWithoutToken = v }),
        SettingDefinition.Text("EXAIFAST_OAUTH_ISSUER", "--oauth-issuer",
            "OAuth 2.1 resource-server mode: the authorization server whose access tokens (JWTs) the HTTP doors, MCP WebSocket upgrades and exai-ws hellos accept, exactly as its tokens' iss says it; its keys are found through its /.well-known/oauth-authorization-server (or openid-configuration) metadata. Requires EXAIFAST_OAUTH_AUDIENCE. Empty: off.", "",
            OAuthUrl, v => v.Trim().Length == 0 || OAuthOptions.IsAllowedUrl(v), (s, v) => s with { OAuth = s.OAuth with { Issuer = v } }),
        SettingDefinition.Text("EXAIFAST_OAUTH_AUDIENCE", "--oauth-audience",
            "The resource identifier every access token's aud must contain: the canonical URL clients reach /mcp at (https://mcp.example.com/mcp), as the daemon cannot know it behind a proxy; also the resource of its /.well-known/oauth-protected-resource metadata.", "",
            OAuthUrl, v => v.Trim().Length == 0 || OAuthOptions.IsAllowedUrl(v), (s, v) => s with { OAuth = s.OAuth with { Audience = v } }),
        SettingDefinition.Text("EXAIFAST_OAUTH_REQUIRED_SCOPES", "--oauth-required-scopes",
            "Scopes every access token must carry, separated by spaces or commas (a token without them: 403 insufficient_scope); empty: none.", "",
            "scope names separated by spaces or commas (printable ASCII, no quote or backslash)", v => OAuthOptions.Scopes(v).All(OAuthOptions.IsScopeToken),
            (s, v) => s with { OAuth = s.OAuth with { RequiredScopes = OAuthOptions.Scopes(v) } }),
        SettingDefinition.Seconds("EXAI_WS_HELLO_TIMEOUT", "--hello-timeout", "Seconds allowed for the hello frame (then close 4002).", 15, 0.05, 3600,
            (s, v) => s with { ExaiWs = s.ExaiWs with { HelloTimeout = v } }),
        SettingDefinition.Seconds("EXAI_WS_DISCONNECT_GRACE_SECS", "--disconnect-grace", "Seconds a disconnected session's calls keep running for a reconnect (0: cancel at once).", 15, 0, 3600,
            (s, v) => s with { ExaiWs = s.ExaiWs with { DisconnectGrace = v } }),
        SettingDefinition.Int("EXAI_WS_GLOBAL_MAX_INFLIGHT", "--global-max-inflight", "Calls running at once, all providers; more wait in their provider's queue (EXAI_WS_QUEUE_DEPTH).", 24, 1, 100_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { GlobalMaxInflight = (int)v } }),
        SettingDefinition.Int("EXAI_WS_SESSION_MAX_INFLIGHT", "--session-max-inflight", "Calls queued or running at once per session.", 8, 1, 100_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { CallerMaxInflight = (int)v } }),
        SettingDefinition.Int("EXAIFAST_SESSION_QUEUE_DEPTH", "--session-queue-depth",
            "MCP calls that wait per session beyond EXAI_WS_SESSION_MAX_INFLIGHT (MCP clients do not retry; exai-ws is refused at once); 0 refuses them too.", 64, 0, 100_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { CallerQueueDepth = (int)v } }),
        SettingDefinition.Int("EXAIFAST_MCP_MAX_SESSIONS", "--mcp-max-sessions",
            "Most MCP Streamable HTTP sessions (Mcp-Session-Id) at once; when full, the least recently used idle one makes room.", 1_000, 1, 1_000_000,
            (s, v) => s with { Mcp = s.Mcp with { MaxSessions = (int)v } }),
        SettingDefinition.Seconds("EXAIFAST_MCP_SESSION_IDLE_SECS", "--mcp-session-idle", "Seconds an MCP Streamable HTTP session lives without a request.", 1_800, 1, 86_400 * 7,
            (s, v) => s with { Mcp = s.Mcp with { SessionIdleTimeout = v } }),
        SettingDefinition.Int("MAX_MCP_OUTPUT_TOKENS", "--max-mcp-output-tokens",
            "Most tokens of a tool's answer sent whole to an MCP client, estimated at 4 characters per token; a longer answer is cut at a line break with a notice and a link to its conversation thread (resources/read). exai-ws answers are never cut; 0: never cut.",
            25_000, 0, 100_000_000, (s, v) => s with { Mcp = s.Mcp with { MaxOutputTokens = (int)v } }),
        SettingDefinition.Int("MCP_PROMPT_SIZE_LIMIT", "--mcp-prompt-size-limit",
            "Longest prompt (or workflow step) in characters an MCP tools/call may carry, as PAL's; a longer one makes no model request and is answered asking the model to save it to a file and pass its path in files (relevant_files). exai-ws calls are never limited; 0: no limit.",
            60_000, 0, 1_000_000_000, (s, v) => s with { Mcp = s.Mcp with { PromptSizeLimit = (int)v } }),
        SettingDefinition.Text(ToolSelection.ProfileKey, "--tools",
            "The tools offered on every door: full (all), lean (chat, thinkdeep, codereview, debug, planner, consensus, challenge, listmodels; a third of the tools/list size) or comma-separated names.", "full",
            "full, lean or comma-separated tool names", v => ToolSelection.Validate(v, profile: true), (s, v) => s with { ToolProfile = v }),
        SettingDefinition.Text(ToolSelection.DisabledKey, "--disabled-tools", "Comma-separated tools not offered (neither listed nor callable), after EXAIFAST_TOOLS.", "",
            "comma-separated tool names", v => ToolSelection.Validate(v, profile: false), (s, v) => s with { DisabledTools = v }),
        SettingDefinition.Switch("EXAIFAST_CONFORMANCE_TOOLS", "--conformance-tools",
            "Also offer the MCP conformance suite's test tools (test_simple_text, test_image_content, ...; scripts/conformance.sh).",
            (s, v) => s with { ConformanceTools = v }),
        SettingDefinition.Int("EXAI_WS_KIMI_MAX_INFLIGHT", null, "Slots (concurrent calls) of the kimi lane.", 6, 1, 10_000, (s, v) => WithLane(s, "kimi", v)),
        SettingDefinition.Int("EXAI_WS_GLM_MAX_INFLIGHT", null, "Slots of the glm lane.", 4, 1, 10_000, (s, v) => WithLane(s, "glm", v)),
        SettingDefinition.Int("EXAI_WS_OPENAI_MAX_INFLIGHT", null, "Slots of the openai (OpenAI-compatible) lane.", 4, 1, 10_000, (s, v) => WithLane(s, "openai", v)),
        SettingDefinition.Int("EXAI_WS_LOCAL_MAX_INFLIGHT", null, "Slots of the local lane (offline model and model-less tools).", 8, 1, 10_000, (s, v) => WithLane(s, "local", v)),
        SettingDefinition.Int("EXAI_WS_QUEUE_DEPTH", "--queue-depth", "Calls that may wait in one lane's queue.", 64, 1, 100_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { QueueDepth = (int)v } }),
        SettingDefinition.Int("EXAIFAST_INLINE_MAX_BYTES", "--inline-max-bytes",
            "Calls with at most this many bytes of arguments start on the connection's reader when their lane has a free slot (no thread hand-off); 0 starts every call on the thread pool.",
            16 * 1024, 0, 64 * 1024 * 1024,
            (s, v) => s with { Dispatcher = s.Dispatcher with { InlineMaxArgumentBytes = (int)v } }),
        SettingDefinition.Seconds("WORKFLOW_TOOL_TIMEOUT_SECS", null, "The original's tool timeout; the call deadline defaults to 1.5 × this.", 120, 0.05, 86400,
            (s, v) => s with { WorkflowToolTimeout = v }),
        SettingDefinition.Seconds("EXAI_WS_CALL_TIMEOUT_SECS", "--call-timeout", "A call's deadline from admission (default 1.5 × WORKFLOW_TOOL_TIMEOUT_SECS = 180).", 180, 0.01, 86400,
            (s, v) => s with { CallTimeout = v })
            with { Derived = s => $"{s.Dispatcher.CallTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} (1.5 × WORKFLOW_TOOL_TIMEOUT_SECS)" },
        SettingDefinition.Seconds("EXAI_WS_PROGRESS_INTERVAL_SECS", "--progress-interval", "Seconds between progress heartbeats of a running call.", 8, 0.01, 3600,
            (s, v) => s with { Dispatcher = s.Dispatcher with { ProgressInterval = v } }),
        SettingDefinition.Seconds("EXAI_WS_RESULT_TTL", "--result-ttl", "Seconds a finished call's result can be fetched again (same session and request_id).", 600, 0, 86400,
            (s, v) => s with { Dispatcher = s.Dispatcher with { ResultTtl = v } }),
        SettingDefinition.Int("EXAIFAST_RESULTS_MAX", "--results-max", "Finished results kept for re-delivery at most, daemon-wide (the oldest go first); with EXAI_WS_RESULT_TTL it bounds their memory.", 10_000, 16, 10_000_000,
            (s, v) => s with { Dispatcher = s.Dispatcher with { ResultStoreCapacity = (int)v } }),
        SettingDefinition.Text("EXAI_WS_DISABLE_COALESCE_FOR_TOOLS", "--disable-coalesce-for", "Comma-separated tools whose identical concurrent calls must each run.", "",
            "comma-separated tool names", _ => true, (s, v) => s with { Dispatcher = s.Dispatcher with { DisableCoalesceFor = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) } }),
        SettingDefinition.Int("EXAIFAST_MEMORY_HIGH_MB", "--memory-high-mb", "Managed heap (MiB) at which stored results are trimmed; 0: 75% of the memory the GC may use.", 0, 0, 16L * 1024 * 1024,
            (s, v) => s with { Dispatcher = s.Dispatcher with { MemoryHighWaterBytes = v << 20 } }),
        SettingDefinition.Int("EXAIFAST_MEMORY_CRITICAL_MB", "--memory-critical-mb", "Managed heap (MiB) at which new calls are refused (OVER_CAPACITY) until it recovers; 0: 90% of the memory the GC may use.", 0, 0, 16L * 1024 * 1024,
            (s, v) => s with { Dispatcher = s.Dispatcher with { MemoryCriticalBytes = v << 20 } }),
        SettingDefinition.Int("EXAIFAST_MEMORY_COMPACT_MB", "--memory-compact-mb",
            "Growth (MiB) of the GC's committed memory since the last compaction at which a quiet daemon compacts its heap and returns memory to the OS; 0: by 32 MiB, and to twice the live heap the last compaction found.", 0, 0, 16L * 1024 * 1024,
            (s, v) => s with { Dispatcher = s.Dispatcher with { MemoryCompactGrowthBytes = v << 20 } }),
        SettingDefinition.Seconds("EXAIFAST_MEMORY_CHECK_SECS", "--memory-check-interval", "Seconds between two readings of the managed heap.", 1, 0.05, 3600,
            (s, v) => s with { Dispatcher = s.Dispatcher with { MemoryCheckInterval = v } }),
        SettingDefinition.Int("EXAIFAST_MAX_TOKENS_PER_CALL", "--max-tokens-per-call",
            "Tokens one call's model requests may use together (a consensus asks several); a request that would pass it is not sent (BUDGET_EXCEEDED). Checked with an estimate of 4 characters per token, charged with the usage the provider reports. 0: no limit.", 0, 0, 1L << 40,
            (s, v) => s with { Budgets = s.Budgets with { PerCall = v } }),
        SettingDefinition.Int("EXAIFAST_MAX_TOKENS_PER_SESSION_PER_DAY", "--max-tokens-per-session-per-day",
            "Tokens one client session (a connection, an MCP HTTP session) may use in a UTC day; 0: no limit.", 0, 0, 1L << 40,
            (s, v) => s with { Budgets = s.Budgets with { PerSessionPerDay = v } }),
        SettingDefinition.Int("EXAIFAST_MAX_TOKENS_PER_DAY", "--max-tokens-per-day", "Tokens the daemon may use in a UTC day, all providers together; 0: no limit.", 0, 0, 1L << 40,
            (s, v) => s with { Budgets = s.Budgets with { PerDay = v } }),
        SettingDefinition.Text("EXAIFAST_MAX_TOKENS_PER_DAY_BY_PROVIDER", "--max-tokens-per-day-by-provider",
            "Tokens each named provider may use in a UTC day, as provider=tokens,… (kimi=2000000,glm=1000000); empty: none.", "",
            "comma-separated provider=tokens pairs (kimi, glm, openai; tokens a positive integer)", v => ProviderBudgets(v) is not null,
            (s, v) => s with { Budgets = s.Budgets with { PerProviderPerDay = ProviderBudgets(v)! } }),
        SettingDefinition.Text("EXAIFAST_HEALTH_FILE", "--health-file",
            "Keep a JSON health file at this path for tooling (pid, port, uptime, connections, calls in flight, memory level, providers, version), rewritten atomically every EXAIFAST_HEALTH_INTERVAL_SECS and removed at a clean shutdown; empty: none.", "",
            "a file path", v => v.IndexOfAny(Path.GetInvalidPathChars()) < 0,
            (s, v) => s with { Health = s.Health with { File = v.Length == 0 ? null : v } }),
        SettingDefinition.Seconds("EXAIFAST_HEALTH_INTERVAL_SECS", "--health-interval", "Seconds between two rewrites of the health file.", 10, 0.05, 3600,
            (s, v) => s with { Health = s.Health with { Interval = v } }),
        SettingDefinition.Text("KIMI_API_KEY", null, "Moonshot Kimi API key; set, it adds the kimi provider. Environment or .env only.", "",
            "an API key", _ => true, (s, v) => WithProviders(s, p => p with { KimiApiKey = v })),
        SettingDefinition.Text("KIMI_API_URL", "--kimi-api-url", "Kimi's API base (…/v1).", "https://api.moonshot.ai/v1",
            HttpUrl, IsHttpUrl, (s, v) => WithProviders(s, p => p with { KimiApiUrl = v })),
        AllowList("kimi", "KIMI_ALLOWED_MODELS", "--kimi-allowed-models", (p, v) => p with { KimiAllowedModels = v }),
        SettingDefinition.Text("GLM_API_KEY", null, "Zhipu GLM API key; set, it adds the glm provider. Environment or .env only.", "",
            "an API key", _ => true, (s, v) => WithProviders(s, p => p with { GlmApiKey = v })),
        SettingDefinition.Text("GLM_API_URL", "--glm-api-url", "GLM's API base (…/api/paas/v4).", "https://api.z.ai/api/paas/v4",
            HttpUrl, IsHttpUrl, (s, v) => WithProviders(s, p => p with { GlmApiUrl = v })),
        AllowList("glm", "GLM_ALLOWED_MODELS", "--glm-allowed-models", (p, v) => p with { GlmAllowedModels = v }),
        SettingDefinition.Text("OPENAI_COMPATIBLE_BASE_URL", "--openai-compatible-base-url",
            "Base URL of an OpenAI-compatible server (Ollama http://localhost:11434/v1, vLLM, llama.cpp, OpenRouter); set, it adds the openai provider.", "",
            HttpUrl, v => v.Trim().Length == 0 || IsHttpUrl(v), (s, v) => WithProviders(s, p => p with { OpenAICompatibleBaseUrl = v })),
        SettingDefinition.Text("OPENAI_COMPATIBLE_API_KEY", null, "Key of the OpenAI-compatible server (empty for none). Environment or .env only.", "",
            "an API key", _ => true, (s, v) => WithProviders(s, p => p with { OpenAICompatibleApiKey = v })),
        SettingDefinition.Text("OPENAI_COMPATIBLE_MODELS", "--openai-compatible-models", "Comma-separated models the OpenAI-compatible server serves; the first is its default.", "",
            "comma-separated model names", _ => true, (s, v) => WithProviders(s, p => p with { OpenAICompatibleModels = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) })),
        AllowList("openai", "OPENAI_COMPATIBLE_ALLOWED_MODELS", "--openai-compatible-allowed-models", (p, v) => p with { OpenAICompatibleAllowedModels = v }),
        SettingDefinition.Text("EXAIFAST_MODELS_FILE", "--models-file",
            "JSON file of models added to, or changed over, the built-in ones, per provider: name, aliases, context window, answer limit, capabilities, whether auto may pick it (docs/models.example.json); a bad file stops the daemon. Empty: the built-in models only.", "",
            "a file path", v => v.IndexOfAny(Path.GetInvalidPathChars()) < 0, (s, v) => WithProviders(s, p => p with { ModelsFile = v })),
        SettingDefinition.Text("DEFAULT_MODEL", "--default-model", "Model for calls that name none: 'auto' (routing by tool and request), a model, an alias or a provider.", "auto",
            "a model name or auto", v => v.Trim().Length > 0, (s, v) => WithProviders(s, p => p with { DefaultModel = v })),
        SettingDefinition.Seconds("EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS", "--provider-headers-timeout", "Seconds from sending a model request (each attempt) to its response headers.", 30, 0.01, 3600,
            (s, v) => WithProviders(s, p => p with { HeadersTimeout = v })),
        SettingDefinition.Seconds("EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS", "--provider-idle-timeout", "Longest silence, in seconds, between two pieces of a streamed answer.", 60, 0.01, 3600,
            (s, v) => WithProviders(s, p => p with { IdleTimeout = v })),
        SettingDefinition.Seconds("EXAIFAST_PROVIDER_TOTAL_TIMEOUT_SECS", "--provider-total-timeout", "Seconds for a whole model request, retries included (the call's deadline still applies).", 600, 0.01, 86400,
            (s, v) => WithProviders(s, p => p with { TotalTimeout = v })),
        SettingDefinition.Int("EXAIFAST_PROVIDER_RETRIES", "--provider-retries", "Retries of a model request after a connect failure, 408, 429 or 5xx.", 2, 0, 10,
            (s, v) => WithProviders(s, p => p with { MaxRetries = (int)v })),
        SettingDefinition.Seconds("EXAIFAST_PROVIDER_RETRY_DELAY_SECS", "--provider-retry-delay", "Base of the jittered exponential backoff between retries (a Retry-After header wins).", 0.5, 0.001, 60,
            (s, v) => WithProviders(s, p => p with { RetryBaseDelay = v })),
        SettingDefinition.Int("EXAIFAST_BREAKER_CONSECUTIVE_FAILURES", "--breaker-consecutive-failures",
            "Failed calls in a row to one model (deployment) that open its circuit breaker, however far apart they came.", 5, 1, 10_000,
            (s, v) => WithProviders(s, p => p with { BreakerConsecutiveFailures = (int)v })),
        SettingDefinition.Int("EXAIFAST_BREAKER_FAILURE_PERCENT", "--breaker-failure-percent", "Percentage of failed calls to one model (deployment) within the sampling window that opens its circuit breaker.", 50, 1, 100,
            (s, v) => WithProviders(s, p => p with { BreakerFailureRatio = v / 100.0 })),
        SettingDefinition.Int("EXAIFAST_BREAKER_MIN_THROUGHPUT", "--breaker-min-throughput", "Calls to one model within the sampling window before the failure percentage counts.", 4, 2, 10_000,
            (s, v) => WithProviders(s, p => p with { BreakerMinimumThroughput = (int)v })),
        SettingDefinition.Seconds("EXAIFAST_BREAKER_SAMPLING_SECS", "--breaker-sampling", "Window, in seconds, the failure percentage is measured over.", 30, 0.5, 3600,
            (s, v) => WithProviders(s, p => p with { BreakerSamplingDuration = v })),
        SettingDefinition.Seconds("EXAIFAST_BREAKER_BREAK_SECS", "--breaker-break", "Seconds an open circuit breaker refuses calls (PROVIDER_UNAVAILABLE) before a trial request.", 30, 0.5, 86400,
            (s, v) => WithProviders(s, p => p with { BreakerBreakDuration = v })),
        SettingDefinition.Int("MAX_CONVERSATION_TURNS", "--max-conversation-turns", "Turns (calls) a conversation thread may hold; a call on a full thread is refused and asked to start a new one.", 20, 1, 1000,
            (s, v) => s with { Threads = s.Threads with { MaxTurns = (int)v } }),
        SettingDefinition.Int("CONVERSATION_TIMEOUT_HOURS", "--conversation-timeout-hours", "Hours a conversation thread lives after its last turn.", 3, 1, 720,
            (s, v) => s with { Threads = s.Threads with { Ttl = TimeSpan.FromHours(v) } }),
        SettingDefinition.Int("EXAIFAST_THREADS_MAX", "--threads-max", "Conversation threads kept in memory at most (the least recently used go first).", 10_000, 1, 10_000_000,
            (s, v) => s with { Threads = s.Threads with { MaxThreads = (int)v } }),
        SettingDefinition.Int("EXAIFAST_THREADS_MAX_MB", "--threads-max-mb", "MiB of conversation text kept in memory at most, all threads together.", 256, 1, 1L << 20,
            (s, v) => s with { Threads = s.Threads with { MaxBytes = v << 20 } }),
        SettingDefinition.Int("EXAIFAST_FILE_MAX_KB", "--file-max-kb", "Largest file (KiB) a tool reads for a call's files; a bigger one is refused by name.", 512, 1, 1L << 20,
            (s, v) => s with { Files = s.Files with { MaxFileBytes = v << 10 } }),
        SettingDefinition.Int("EXAIFAST_FILES_MAX_KB", "--files-max-kb", "Most KiB of files read for one call, all files together.", 2048, 1, 1L << 22,
            (s, v) => s with { Files = s.Files with { MaxTotalBytes = v << 10 } }),
        SettingDefinition.Text("EXAIFAST_FILE_ROOTS", "--file-roots", "Comma-separated absolute directories the tools may read files under; empty: any absolute path the daemon can read.", "",
            "comma-separated absolute directories", v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(Path.IsPathFullyQualified),
            (s, v) => s with { Files = s.Files with { Roots = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) } }),
        SettingDefinition.Text("REDIS_URL", null,
            "Redis for conversation threads and stored results, shared by several daemons: redis://[:password@]host:port[/db] or a StackExchange.Redis configuration string; empty: in memory. Environment or .env only (it may hold a password).", "",
            Redis.RedisUrl.Allowed, v => v.Trim().Length == 0 || Redis.RedisUrl.TryParse(v, out _), (s, v) => s with { RedisUrl = v.Length == 0 ? null : v })
            with { HoldsSecret = true, Redact = RedactRedisUrl },
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
            "a file path", v => v.IndexOfAny(Path.GetInvalidPathChars()) < 0,
            (s, v) => s with { Log = s.Log with { File = v.Length == 0 ? null : v } }),
        SettingDefinition.Int("EXAIFAST_LOG_QUEUE", "--log-queue", "Log entries queued before new ones are dropped (and counted).", 10_000, 16, 10_000_000,
            (s, v) => s with { Log = s.Log with { QueueCapacity = (int)v } }),
        SettingDefinition.Text("OTEL_EXPORTER_OTLP_ENDPOINT", "--otlp-endpoint",
            "OpenTelemetry collector to export traces to (its base URL, e.g. http://localhost:4318; /v1/traces is added for http/protobuf): a span per call and per model request and attempt; empty: no tracing, at no cost.", "",
            HttpUrl, v => v.Trim().Length == 0 || IsHttpUrl(v),
            (s, v) => s with { Tracing = s.Tracing with { Endpoint = v.Trim().Length == 0 ? null : new Uri(v.Trim()) } }),
        SettingDefinition.Choice("OTEL_EXPORTER_OTLP_PROTOCOL", "--otlp-protocol", "How spans travel to the collector: OTLP over HTTP (protobuf) or gRPC.", "http/protobuf", ["http/protobuf", "grpc"],
            (s, v) => s with { Tracing = s.Tracing with { HttpProtobuf = v == "http/protobuf" } }),
        SettingDefinition.Text("OTEL_EXPORTER_OTLP_HEADERS", null, "Headers sent to the collector, as key=value,key=value (a tracing vendor's key). Environment or .env only.", "",
            "comma-separated key=value pairs", v => v.Trim().Length == 0 || v.Split(',', StringSplitOptions.RemoveEmptyEntries).All(p => p.IndexOf('=') > 0),
            (s, v) => s with { Tracing = s.Tracing with { Headers = v.Trim() } })
            with { HoldsSecret = true },
        SettingDefinition.Text("OTEL_SERVICE_NAME", "--otel-service-name", "The service.name of exported spans.", "exaifast",
            "a name", v => v.Trim().Length > 0, (s, v) => s with { Tracing = s.Tracing with { ServiceName = v.Trim() } }),
        SettingDefinition.Text("EXAIFAST_TRACE_SAMPLE_RATIO", "--trace-sample-ratio",
            "Share of calls traced (0 to 1) when the client sent no traceparent; a client's traceparent decides for its own calls (sampled or not).", "1",
            "a number from 0 to 1", v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r is >= 0 and <= 1,
            (s, v) => s with { Tracing = s.Tracing with { SampleRatio = double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture) } }),
    ];

    // Empty means "no authentication" on purpose; a value that is blank once trimmed would mean the same thing by
    // accident (the operator believes a token is set), and a control character cannot travel in the Authorization
    // header PROTOCOL.md promises for MCP. Both are refused before the socket is bound.
    private static bool IsValidToken(string value) =>
        value.Length == 0 || (value.Trim().Length > 0 && !value.Trim().Any(char.IsControl));

    private const string HttpUrl = "an absolute http(s) URL";

    private const string OAuthUrl = "an https URL without query or fragment (http only on a loopback host)";

    // provider=tokens,… with a known provider and a positive count; null when any pair is not.
    private static Dictionary<string, long>? ProviderBudgets(string value)
    {
        var budgets = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (string pair in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || pair[..eq].Trim() is not ("kimi" or "glm" or "openai")
                || !long.TryParse(pair[(eq + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long tokens) || tokens <= 0)
            {
                return null;
            }

            budgets[pair[..eq].Trim()] = tokens;
        }

        return budgets;
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    // Where Redis is may be shown; its user and password only as their lengths. A value that does not parse shows
    // nothing but its length: where its password would be cannot be told.
    private static string RedactRedisUrl(string value)
    {
        if (!Redis.RedisUrl.TryParse(value, out var options))
        {
            return SettingDefinition.Masked(value);
        }

        string where = Redis.RedisUrl.Describe(options) + (options.Ssl ? " (TLS)" : "");
        string user = string.IsNullOrEmpty(options.User) ? "" : $", user {SettingDefinition.Masked(options.User)}";
        string password = string.IsNullOrEmpty(options.Password) ? ", no password" : $", password {SettingDefinition.Masked(options.Password)}";
        return where + user + password;
    }

    // A list that names nothing would leave its provider no model: refused here; names no model of the provider has are
    // refused once the models file is read (ModelRelations).
    private static SettingDefinition AllowList(string provider, string key, string flag, Func<ProviderSettings, IReadOnlyList<string>, ProviderSettings> set) =>
        SettingDefinition.Text(key, flag,
            $"Comma-separated {provider} models (names or aliases) served: another is refused by name and auto never picks it. Empty: all of them.", "",
            "comma-separated model names or aliases",
            v => Names(v).Length == 0 ? $"a list of at least one model: it would leave {provider} none" : null,
            (s, v) => WithProviders(s, p => set(p, Names(v))));

    private static string[] Names(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static ExaiFastSettings WithProviders(ExaiFastSettings s, Func<ProviderSettings, ProviderSettings> change) =>
        s with { Providers = change(s.Providers) };

    private static ExaiFastSettings WithRates(ExaiFastSettings s, Func<RateLimitOptions, RateLimitOptions> change) =>
        s with { Server = s.Server with { RateLimits = change(s.Server.RateLimits) } };

    private static ExaiFastSettings WithLane(ExaiFastSettings s, string lane, long slots) =>
        s with { Dispatcher = s.Dispatcher with { LaneSlots = new Dictionary<string, int>(s.Dispatcher.LaneSlots) { [lane] = (int)slots } } };
}
