using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using System.Collections.Frozen;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Http;
using ExaiFast.Server.Limits;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Options;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server;

/// <summary>What every connection of one server shares. Immutable after construction, except the drain flag.</summary>
internal sealed class ServerContext
{
    private volatile bool _draining;

    public ServerContext(ServerOptions options, ServerMetrics metrics, ILogger logger, TimeProvider time, IWebSocketHandler handler,
        IReadOnlyDictionary<string, IHttpEndpoint>? endpoints = null)
    {
        Options = options;
        Metrics = metrics;
        Logger = logger;
        Time = time;
        Handler = handler;
        StartedAt = time.GetTimestamp();
        HandshakeTicks = ToTicks(options.HandshakeTimeout);
        PingIntervalTicks = ToTicks(options.PingInterval);
        PingDeadTicks = ToTicks(options.PingInterval + options.PingTimeout);
        CloseTicks = ToTicks(options.CloseTimeout);
        KeepAliveTicks = ToTicks(options.KeepAliveTimeout);
        BodyTicks = ToTicks(options.RequestBodyTimeout);
        BodyRateGraceTicks = ToTicks(options.MinRequestBodyRateGrace);
        EventStreamKeepAliveTicks = ToTicks(options.EventStreamKeepAlive);

        // Announced a little below the real timeout (undici assumes 4 s without it and subtracts 1 s from it): a client
        // must never reuse a connection just as we close it, since a POST lost that way is not retried.
        double keepAlive = options.KeepAliveTimeout.TotalSeconds;
        KeepAliveHintSeconds = (int)Math.Floor(keepAlive - Math.Max(2, keepAlive / 10));
        Endpoints = BuildEndpoints(endpoints);
        Registry = new ConnectionRegistry(options, time);
        InboundBudget = new InboundBudget(options.EffectiveInboundBudgetBytes, metrics);
        InboundBudgetTicks = ToTicks(options.InboundBudgetTimeout);
        ConnectionRate = new ConnectionRateLimit(options, metrics);
    }

    public ServerOptions Options { get; }

    public ServerMetrics Metrics { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public IWebSocketHandler Handler { get; }

    /// <summary>The daemon's live status; null for a bare server (no dispatcher). /ready reads its memory level, so a load
    /// balancer steers new work away from an instance that refuses it.</summary>
    public IDaemonStatus? Status { get; set; }

    public ConnectionRegistry Registry { get; }

    /// <summary>The model providers for /ready (whether a model can answer now, each provider's deployments); null: always ready.</summary>
    public Func<ModelReadiness>? Models { get; set; }

    /// <summary>The shared store (Redis), for /health and /ready; null in memory.</summary>
    public IStoreStatus? Store { get; set; }

    /// <summary>The rate of new connections per client address.</summary>
    public ConnectionRateLimit ConnectionRate { get; }

    /// <summary>The daemon-wide budget of big inbound messages.</summary>
    public InboundBudget InboundBudget { get; }

    /// <summary>How long a big message may wait for, or hold, inbound budget while it arrives.</summary>
    public long InboundBudgetTicks { get; }

    /// <summary>The host's access guard (null: nothing required anywhere). Checked at MCP WebSocket upgrades.</summary>
    public AccessGuard? Access { get; init; }

    public long StartedAt { get; }

    public long HandshakeTicks { get; }

    public long PingIntervalTicks { get; }

    public long PingDeadTicks { get; }

    public long CloseTicks { get; }

    /// <summary>Idle wait between two requests; also how long a response write may stall.</summary>
    public long KeepAliveTicks { get; }

    public long BodyTicks { get; }

    public long BodyRateGraceTicks { get; }

    public long EventStreamKeepAliveTicks { get; }

    /// <summary>The <c>timeout</c> of the <c>Keep-Alive</c> response header; 0 or less: not sent.</summary>
    public int KeepAliveHintSeconds { get; }

    /// <summary>The endpoint table: path (exact, without query) to endpoint. The WebSocket paths are not in it.</summary>
    public FrozenDictionary<string, IHttpEndpoint> Endpoints { get; }

    /// <summary>Paths that upgrade to a WebSocket; no endpoint may take them.</summary>
    public static bool IsWebSocketPath(string path) => path is "/" or "/ws" or "/echo";

    public bool IsDraining => _draining;

    public bool IsListening { get; set; }

    public void BeginDrain() => _draining = true;

    private FrozenDictionary<string, IHttpEndpoint> BuildEndpoints(IReadOnlyDictionary<string, IHttpEndpoint>? extra)
    {
        var table = new Dictionary<string, IHttpEndpoint>(StringComparer.Ordinal);
        foreach (var (path, endpoint) in StatusEndpoint.All(this))
        {
            table.Add(path, endpoint);
        }

        foreach (var (path, endpoint) in extra ?? FrozenDictionary<string, IHttpEndpoint>.Empty)
        {
            ArgumentNullException.ThrowIfNull(endpoint);
            if (!path.StartsWith('/') || path.Contains('?', StringComparison.Ordinal) || IsWebSocketPath(path) || !table.TryAdd(path, endpoint))
            {
                throw new ArgumentException($"'{path}' cannot be an endpoint path (not absolute, a WebSocket path, or taken)", nameof(extra));
            }
        }

        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Time.TimestampFrequency);
}
