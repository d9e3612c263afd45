using ExaiFast.Core.Dispatch;
using ExaiFast.Server.Limits;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Options;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.Connections;

/// <summary>What every connection of one server shares, whatever it speaks: options, clock, metrics, limits, budget,
/// deadlines, the drain flag. Immutable after construction, except the drain and listening flags.</summary>
/// <remarks>What a connection speaks is the subclass's (<see cref="Open"/>): this layer knows no protocol.</remarks>
internal abstract class ConnectionContext
{
    private volatile bool _draining;

    /// <param name="options">Validated options.</param>
    /// <param name="metrics">The server's metrics.</param>
    /// <param name="logger">The server's log.</param>
    /// <param name="time">The clock of every deadline.</param>
    /// <param name="inbound">The daemon's count of the bytes its inbound budgets hold (its memory monitor reads it); the
    /// budget's own if null.</param>
    protected ConnectionContext(ServerOptions options, ServerMetrics metrics, ILogger logger, TimeProvider time, InboundActivity? inbound)
    {
        Options = options;
        Metrics = metrics;
        Logger = logger;
        Time = time;
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
        Registry = new ConnectionRegistry(options, time);
        InboundBudget = new InboundBudget(options.EffectiveInboundBudgetBytes, metrics, inbound);
        InboundBudgetTicks = ToTicks(options.InboundBudgetTimeout);
        ConnectionRate = new ConnectionRateLimit(options, metrics);
    }

    public ServerOptions Options { get; }

    public ServerMetrics Metrics { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public ConnectionRegistry Registry { get; }

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

    public bool IsDraining => _draining;

    public bool IsListening { get; set; }

    public void BeginDrain() => _draining = true;

    /// <summary>What <paramref name="connection"/> speaks from its first byte (called once, as it is set up).</summary>
    public abstract IOpeningProtocol Open(TransportConnection connection);

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Time.TimestampFrequency);
}
