using System.Collections.Frozen;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Options;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.Http;

/// <summary>What every connection of one server shares (<see cref="ConnectionContext"/>), with what it serves: the
/// endpoint table, the WebSocket handler behind an upgrade, and what <c>/health</c> and <c>/ready</c> report.</summary>
/// <remarks>A connection speaks HTTP/1.1 from its first byte (<see cref="Open"/>).</remarks>
internal sealed class ServerContext : ConnectionContext
{
    public ServerContext(ServerOptions options, ServerMetrics metrics, ILogger logger, TimeProvider time, IWebSocketHandler handler,
        IReadOnlyDictionary<string, IHttpEndpoint>? endpoints = null, InboundActivity? inbound = null)
        : base(options, metrics, logger, time, inbound)
    {
        Handler = handler;
        Endpoints = BuildEndpoints(endpoints);
    }

    public IWebSocketHandler Handler { get; }

    /// <summary>The daemon's live status; null for a bare server (no dispatcher). /ready reads its memory level, so a load
    /// balancer steers new work away from an instance that refuses it.</summary>
    public IDaemonStatus? Status { get; set; }

    /// <summary>The model providers for /ready (whether a model can answer now, each provider's deployments); null: always ready.</summary>
    public Func<ModelReadiness>? Models { get; set; }

    /// <summary>The shared store (Redis), for /health and /ready; null in memory.</summary>
    public IStoreStatus? Store { get; set; }

    /// <summary>The endpoint table: path (exact, without query) to endpoint. The WebSocket paths are not in it.</summary>
    public FrozenDictionary<string, IHttpEndpoint> Endpoints { get; }

    /// <summary>Paths that upgrade to a WebSocket; no endpoint may take them.</summary>
    public static bool IsWebSocketPath(string path) => path is "/" or "/ws" or "/echo";

    /// <inheritdoc />
    public override IOpeningProtocol Open(TransportConnection connection) => new Http1Connection(connection, this);

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
}
