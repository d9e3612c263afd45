using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server;

/// <summary>What every connection of one server shares. Immutable after construction, except the drain flag.</summary>
internal sealed class ServerContext
{
    private volatile bool _draining;

    public ServerContext(ServerOptions options, ServerMetrics metrics, ILogger logger, TimeProvider time, IWebSocketHandler handler)
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
        Registry = new ConnectionRegistry(options, time);
    }

    public ServerOptions Options { get; }

    public ServerMetrics Metrics { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public IWebSocketHandler Handler { get; }

    /// <summary>The front door's live status when it has one (exai-ws does; the bare echo server does not): /ready reads
    /// its memory level, so a load balancer steers new work away from an instance that refuses it.</summary>
    public IDaemonStatus? Status => Handler as IDaemonStatus;

    public ConnectionRegistry Registry { get; }

    /// <summary>The host's token guard (null: no token anywhere). Checked at MCP WebSocket upgrades.</summary>
    public TokenGuard? Tokens { get; init; }

    public long StartedAt { get; }

    public long HandshakeTicks { get; }

    public long PingIntervalTicks { get; }

    public long PingDeadTicks { get; }

    public long CloseTicks { get; }

    public bool IsDraining => _draining;

    public bool IsListening { get; set; }

    public void BeginDrain() => _draining = true;

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Time.TimestampFrequency);
}
