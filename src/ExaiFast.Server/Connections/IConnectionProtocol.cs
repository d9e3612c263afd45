namespace ExaiFast.Server.Connections;

/// <summary>What a <see cref="TransportConnection"/> speaks: HTTP/1.1 from its first byte, then, if a request upgrades,
/// a WebSocket. The transport holds exactly one at a time and tells it of its deadlines, shutdown, abort and end.</summary>
/// <remarks>
/// <see cref="OnHeartbeat"/>, <see cref="BeginShutdown"/> and <see cref="OnAborted"/> come from other threads (the
/// heartbeat, the host, whoever aborts) while the protocol's own loop runs; <see cref="StopAsync"/> and
/// <see cref="OnClosed"/> come from the transport's teardown, after that loop has ended.
/// </remarks>
internal interface IConnectionProtocol
{
    /// <summary>Enforces the deadline of <paramref name="phase"/>, entered <paramref name="inPhase"/> ticks ago
    /// (<see cref="ConnectionPhase.Closing"/> is the transport's own and never comes here).</summary>
    void OnHeartbeat(long now, ConnectionPhase phase, long inPhase);

    /// <summary>The server is shutting down (the transport's flag is already set).</summary>
    void BeginShutdown();

    /// <summary>The connection was aborted (the transport's flag is set and the socket shut): end any wait of ours now.</summary>
    void OnAborted();

    /// <summary>Teardown, before the lingering close: the protocol's loop has ended; let its writer finish.</summary>
    ValueTask StopAsync();

    /// <summary>Teardown, last: the socket is closed and the connection unregistered.</summary>
    void OnClosed();
}
