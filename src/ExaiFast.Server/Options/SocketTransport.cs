namespace ExaiFast.Server.Options;

/// <summary>How a connected socket becomes a pair of pipes.</summary>
internal enum SocketTransport
{
    /// <summary>The BCL: <c>NetworkStream</c> wrapped by <c>PipeReader.Create</c>/<c>PipeWriter.Create</c>.</summary>
    Streams,
    /// <summary>Pipelines.Sockets.Unofficial's <c>SocketConnection</c> (its own SocketAsyncEventArgs loop).</summary>
    Sockets,
}
