namespace ExaiFast.Server.Connections;

/// <summary>Where a connection is in its life; the heartbeat picks the deadline that applies from it.</summary>
internal enum ConnectionPhase
{
    /// <summary>Reading an HTTP request head (handshake deadline).</summary>
    Http,
    /// <summary>An open WebSocket (ping interval and timeout).</summary>
    WebSocket,
    /// <summary>Close sent or connection ending: the close deadline, after which the socket is aborted.</summary>
    Closing,
}
