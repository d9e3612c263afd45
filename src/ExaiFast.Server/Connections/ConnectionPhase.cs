namespace ExaiFast.Server.Connections;

/// <summary>Where a connection is in its life; the heartbeat picks the deadline that applies from it.</summary>
internal enum ConnectionPhase
{
    /// <summary>Reading an HTTP request head: the handshake deadline, counted from accept or from the head's first byte,
    /// never restarted by a partial read (slowloris). The connection is then dropped.</summary>
    HttpHead,
    /// <summary>Between two keep-alive requests, waiting for the next head's first byte: the keep-alive timeout.</summary>
    HttpIdle,
    /// <summary>Reading a request body: the body deadline and the minimum data rate after its grace; then 408.</summary>
    HttpBody,
    /// <summary>An endpoint serves the request (an event stream may be open): no deadline, but a response write that
    /// cannot flush for the keep-alive timeout aborts the connection, and open streams get their keep-alive comments.</summary>
    HttpServing,
    /// <summary>An open WebSocket (ping interval and timeout).</summary>
    WebSocket,
    /// <summary>Close sent or connection ending: the close deadline, after which the socket is aborted.</summary>
    Closing,
}
