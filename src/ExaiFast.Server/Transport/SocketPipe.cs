using System.IO.Pipelines;
using System.Net.Sockets;
using ExaiFast.Server.Options;
using Pipelines.Sockets.Unofficial;

namespace ExaiFast.Server.Transport;

/// <summary>A connected socket seen as a pipe pair. The connection that owns it disposes it once.</summary>
internal sealed class SocketPipe : IDisposable
{
    // Zero-byte reads: an idle connection holds no receive buffer until data is actually there (Kestrel does the same).
    // Shared: options are read-only, and one instance each per connection was 80 bytes of an idle connection.
    private static readonly StreamPipeReaderOptions s_readerOptions = new(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true, useZeroByteReads: true);
    private static readonly StreamPipeWriterOptions s_writerOptions = new(minimumBufferSize: 16 * 1024, leaveOpen: true);

    private readonly IDisposable _owner;

    private SocketPipe(Socket socket, PipeReader input, PipeWriter output, IDisposable owner)
    {
        Socket = socket;
        Input = input;
        Output = output;
        _owner = owner;
    }

    public Socket Socket { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Wraps an accepted socket with the configured adapter.</summary>
    public static SocketPipe Create(Socket socket, SocketTransport kind)
    {
        socket.NoDelay = true;
        if (kind == SocketTransport.Sockets)
        {
            var connection = SocketConnection.Create(socket, PipeOptions.Default);
            return new SocketPipe(socket, connection.Input, connection.Output, connection);
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        var input = PipeReader.Create(stream, s_readerOptions);
        var output = PipeWriter.Create(stream, s_writerOptions);
        return new SocketPipe(socket, input, output, stream);
    }

    /// <summary>Stops both directions at the socket so pending reads and writes end now.</summary>
    public void Abort()
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // already gone
        }
    }

    /// <summary>Sends FIN: the peer reads what was written, then end of stream.</summary>
    public void ShutdownSend()
    {
        if (_owner is SocketConnection)
        {
            // Pipelines.Sockets.Unofficial sends from its own loop: a flush returns once the bytes are in its pipe, not
            // on the socket. Shutting the socket here cut off what that loop had not sent yet: the last HTTP response,
            // the close frame (every close of the conformance suite failed over this transport). Completing the pipe
            // lets the loop send the rest, then shut the send side itself.
            try
            {
                Output.Complete();
            }
            catch (InvalidOperationException)
            {
                // already completed
            }

            return;
        }

        try
        {
            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // already gone
        }
    }

    public void Dispose()
    {
        _owner.Dispose();
        Socket.Dispose();
    }
}
