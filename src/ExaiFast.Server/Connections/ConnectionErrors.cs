namespace ExaiFast.Server.Connections;

/// <summary>Which exceptions mean "the connection is gone" (reset, aborted, pipes completed) rather than a bug.</summary>
internal static class ConnectionErrors
{
    /// <summary>True for the errors a socket's loops end with when the peer or an abort ends the connection.</summary>
    public static bool IsConnectionError(Exception ex) =>
        ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException
            or Pipelines.Sockets.Unofficial.ConnectionResetException or Pipelines.Sockets.Unofficial.ConnectionAbortedException
            or InvalidOperationException { Source: "System.IO.Pipelines" };
}
