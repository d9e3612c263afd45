namespace ExaiFast.Server.Options;

/// <summary>The abuse limits: token buckets on new connections and on tool calls, per client address and per session.</summary>
/// <remarks>
/// They bound how fast a client may ask, where the in-flight limits bound how much it may have running. Per-address
/// limits count an IPv6 client by its /64 (one subscriber's prefix) and leave loopback alone unless
/// <see cref="LimitLoopback"/>: on a workstation the one loopback client is the user's own MCP bridge, and behind a
/// reverse proxy on the same host every client shares the proxy's address, so there the per-session limit is the one
/// that tells clients apart.
/// </remarks>
internal sealed record RateLimitOptions
{
    /// <summary>New TCP connections per client address (<c>EXAIFAST_RATE_CONNECTIONS_PER_IP</c>); over it: 429 at accept.</summary>
    public RateLimit ConnectionsPerIp { get; init; } = new(600);

    /// <summary>Tool calls per client address, over every door and session (<c>EXAIFAST_RATE_CALLS_PER_IP</c>); off by default.</summary>
    public RateLimit CallsPerIp { get; init; } = RateLimit.Off;

    /// <summary>Tool calls per session (<c>EXAIFAST_RATE_CALLS_PER_SESSION</c>), loopback included; off by default.</summary>
    public RateLimit CallsPerSession { get; init; } = RateLimit.Off;

    /// <summary>Apply the per-address limits to loopback clients too (<c>EXAIFAST_RATE_LIMIT_LOOPBACK</c>).</summary>
    public bool LimitLoopback { get; init; }
}
