using ExaiFast.Core.Options;
using ExaiFast.Server.Options;
using ExaiFast.Tools.Catalog;
using ExaiFast.Tools.Files;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Configuration;

/// <summary>Everything the <c>serve</c> command is configured with, after validation.</summary>
internal sealed record ExaiFastSettings
{
    /// <summary>Listener, HTTP and WebSocket settings.</summary>
    public ServerOptions Server { get; init; } = new();

    /// <summary>Lanes, limits, deadlines and result retention.</summary>
    public DispatcherOptions Dispatcher { get; init; } = new();

    /// <summary>Token, hello timeout, disconnect grace.</summary>
    public ExaiWsOptions ExaiWs { get; init; } = new();

    /// <summary>OAuth 2.1 resource-server mode (<c>EXAIFAST_OAUTH_*</c>): off unless an issuer is set.</summary>
    public Server.OAuth.OAuthOptions OAuth { get; init; } = new();

    /// <summary>MCP Streamable HTTP sessions.</summary>
    public McpOptions Mcp { get; init; } = new();

    /// <summary>Model providers: keys, URLs, models, deadlines, retries, breakers.</summary>
    public ProviderSettings Providers { get; init; } = new();

    /// <summary>Conversation threads: turns per thread, TTL, and the in-memory store's bounds.</summary>
    public ThreadStoreOptions Threads { get; init; } = new();

    /// <summary>What the tools may read from disk for a call's <c>files</c>.</summary>
    public FileLimits Files { get; init; } = new();

    /// <summary>
    /// <c>REDIS_URL</c>, validated: threads and stored results live in Redis, shared by every daemon pointed at it; null
    /// keeps them in memory. Holds the password: never logged (<see cref="Redis.RedisUrl.Describe"/> is what is shown).
    /// </summary>
    public string? RedisUrl { get; init; }

    /// <summary>Simulated latency of the offline local model (<c>LOCAL_MODEL_LATENCY_MS</c>).</summary>
    public TimeSpan LocalModelLatency { get; init; }

    /// <summary>The original's per-tool timeout (<c>WORKFLOW_TOOL_TIMEOUT_SECS</c>); the call deadline defaults to 1.5 × this.</summary>
    public TimeSpan WorkflowToolTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>An explicit call deadline (<c>EXAI_WS_CALL_TIMEOUT_SECS</c>), overriding the 1.5 × rule.</summary>
    public TimeSpan? CallTimeout { get; init; }

    /// <summary>Allow a non-loopback address with no token (<c>--allow-remote-without-token</c>).</summary>
    public bool AllowRemoteWithoutToken { get; init; }

    /// <summary>
    /// Also offer the MCP conformance suite's test tools (<c>test_simple_text</c>, <c>test_image_content</c>, …;
    /// <c>EXAIFAST_CONFORMANCE_TOOLS</c>, <c>--conformance-tools</c>). Off by default: they are of no use to a model.
    /// </summary>
    public bool ConformanceTools { get; init; }

    /// <summary><c>EXAIFAST_TOOLS</c> as given (validated): full, lean or tool names.</summary>
    public string ToolProfile { get; init; } = "full";

    /// <summary><c>DISABLED_TOOLS</c> as given (validated): tool names.</summary>
    public string DisabledTools { get; init; } = "";

    /// <summary>The tools every door offers, from <see cref="ToolProfile"/> and <see cref="DisabledTools"/>.</summary>
    public ToolSelection Tools => ToolSelection.Parse(ToolProfile, DisabledTools);

    /// <summary>
    /// Run socket completions on the epoll threads instead of queueing them to the thread pool
    /// (<c>EXAIFAST_SOCKET_INLINE_COMPLETIONS</c>; sets <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>).
    /// </summary>
    /// <remarks>Measured: a third to two thirds less CPU per round trip (perf/RESULTS.md). Safe because nothing on a
    /// connection's reader path blocks: frames are parsed, messages handed on with TryWrite, writes flush asynchronously.</remarks>
    public bool SocketInlineCompletions { get; init; } = true;

    /// <summary>The health file for tooling (<c>EXAIFAST_HEALTH_FILE</c>).</summary>
    public HealthFileSettings Health { get; init; } = new();

    /// <summary>Logging settings.</summary>
    public LogSettings Log { get; init; } = new();

    /// <summary>Token budgets of the model requests.</summary>
    public ExaiFast.Models.Budgets.TokenBudgets Budgets { get; init; } = new();

    /// <summary>OpenTelemetry trace export.</summary>
    public TracingSettings Tracing { get; init; } = new();
}
