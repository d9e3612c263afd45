namespace ExaiFast.Server.Options;

/// <summary>Validated settings of the listener, the HTTP layer and the WebSocket framer.</summary>
/// <remarks>
/// Built once by the composition root from defaults, <c>.env</c>, environment and flags, validated before the
/// socket binds, and never mutated afterwards: safe to share between threads.
/// </remarks>
internal sealed record ServerOptions
{
    /// <summary>Address to bind (<c>EXAI_WS_HOST</c>).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port (<c>EXAI_WS_PORT</c>); 0 lets the OS choose.</summary>
    public int Port { get; init; } = 8079;

    /// <summary>Largest WebSocket message accepted, in bytes (<c>EXAI_WS_MAX_BYTES</c>).</summary>
    public long MaxMessageBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Default inbound budget when <see cref="InboundBudgetBytes"/> is 0 (raised to <see cref="MaxMessageBytes"/>).</summary>
    public const long DefaultInboundBudgetBytes = 256L * 1024 * 1024;

    /// <summary>Bytes of big WebSocket messages (over 1 MiB) that may be assembled, parsed or read by their calls at once,
    /// daemon-wide (<c>EXAIFAST_INBOUND_BUDGET_MB</c>); 0 means <see cref="DefaultInboundBudgetBytes"/> or
    /// <see cref="MaxMessageBytes"/>, whichever is larger. A message that does not fit waits without its socket being read.</summary>
    public long InboundBudgetBytes { get; init; }

    /// <summary>The budget in force: every message the size limit allows must fit in it alone.</summary>
    public long EffectiveInboundBudgetBytes => InboundBudgetBytes > 0 ? InboundBudgetBytes : Math.Max(DefaultInboundBudgetBytes, MaxMessageBytes);

    /// <summary>How long a big message may wait for budget, and how long it may hold budget while it arrives
    /// (<c>EXAIFAST_INBOUND_BUDGET_TIMEOUT</c>); past either its connection is closed with 1008.</summary>
    public TimeSpan InboundBudgetTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest HTTP request head, in bytes; larger heads get 431.</summary>
    public int MaxRequestHeadBytes { get; init; } = 8 * 1024;

    /// <summary>Time allowed for a complete request head (<c>EXAI_WS_HANDSHAKE_TIMEOUT</c>); slower peers are dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest HTTP request body (<c>EXAIFAST_HTTP_MAX_BODY_BYTES</c>); 0 means <see cref="MaxMessageBytes"/>.
    /// Larger: 413 before any of it is read.</summary>
    public long MaxRequestBodyBytes { get; init; }

    /// <summary>The body limit in force: <see cref="MaxRequestBodyBytes"/>, or <see cref="MaxMessageBytes"/> when that is 0.</summary>
    public long EffectiveMaxRequestBodyBytes => MaxRequestBodyBytes > 0 ? MaxRequestBodyBytes : MaxMessageBytes;

    /// <summary>Time allowed for a whole request body from its first byte (<c>EXAIFAST_HTTP_BODY_TIMEOUT</c>); then 408.</summary>
    public TimeSpan RequestBodyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Slowest average body rate, in bytes per second, once <see cref="MinRequestBodyRateGrace"/> has passed
    /// (<c>EXAIFAST_HTTP_MIN_BODY_RATE</c>, Kestrel's MinRequestBodyDataRate); 0 disables it. Slower: 408.</summary>
    public double MinRequestBodyRate { get; init; } = 240;

    /// <summary>How long a body may arrive at any rate before <see cref="MinRequestBodyRate"/> applies.</summary>
    public TimeSpan MinRequestBodyRateGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Idle time allowed between two requests on one connection (<c>EXAIFAST_HTTP_KEEPALIVE_TIMEOUT</c>).
    /// Also bounds a stalled response write: a peer that takes no bytes for this long is dropped.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An open event stream with nothing written for this long gets a comment line
    /// (<c>EXAIFAST_HTTP_SSE_KEEPALIVE</c>), so proxies keep a long call open.</summary>
    public TimeSpan EventStreamKeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Ping after this much silence from the peer (<c>EXAI_WS_PING_INTERVAL</c>).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Close when nothing arrived within <see cref="PingInterval"/> plus this (<c>EXAI_WS_PING_TIMEOUT</c>).</summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the peer's close frame after sending ours.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long shutdown waits for connections to finish before aborting them (<c>EXAI_WS_DRAIN_SECS</c>).</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most connections at once (<c>EXAI_WS_MAX_CONNECTIONS</c>), counted from accept: plain HTTP, pending
    /// heads and WebSockets alike. More are answered 503 and closed before their request is read.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Most connections per client IP (<c>EXAI_WS_MAX_CONNECTIONS_PER_IP</c>), counted like <see cref="MaxConnections"/>.</summary>
    public int MaxConnectionsPerIp { get; init; } = 1_000;

    /// <summary>The rate limits on new connections and on calls (<c>EXAIFAST_RATE_*</c>).</summary>
    public RateLimitOptions RateLimits { get; init; } = new();

    /// <summary>Frames queued for one connection's writer before senders wait (<c>EXAI_WS_OUTBOUND_QUEUE</c>).</summary>
    public int OutboundQueueFrames { get; init; } = 256;

    /// <summary>
    /// Browser origins allowed to open a WebSocket (<c>EXAI_WS_ALLOWED_ORIGINS</c>, comma-separated).
    /// Requests without <c>Origin</c> (non-browser clients) and from <c>http://localhost*</c> or
    /// <c>http://127.0.0.1*</c> are always allowed.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>Which socket-to-pipe adapter connections use.</summary>
    public SocketTransport Transport { get; init; } = SocketTransport.Streams;

    /// <summary>Whether <paramref name="origin"/> may open a WebSocket.</summary>
    public bool IsOriginAllowed(string origin)
    {
        if (origin.StartsWith("http://localhost", StringComparison.OrdinalIgnoreCase)
            || origin.StartsWith("http://127.0.0.1", StringComparison.OrdinalIgnoreCase))
        {
            // "http://localhost.evil.com" must not pass: the prefix must end the host.
            string rest = origin[(origin.IndexOf("//", StringComparison.Ordinal) + 2)..];
            int end = rest.IndexOfAny([':', '/']);
            string host = end < 0 ? rest : rest[..end];
            if (host is "localhost" or "127.0.0.1")
            {
                return true;
            }
        }

        foreach (string allowed in AllowedOrigins)
        {
            if (string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase) || allowed == "*")
            {
                return true;
            }
        }

        return false;
    }
}
