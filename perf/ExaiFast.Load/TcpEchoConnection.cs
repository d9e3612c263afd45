using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ExaiFast.Load;

/// <summary>The raw-TCP ceiling: send --size bytes (the first 8 the request number), read --size bytes back. No framing, no masking.</summary>
internal sealed class TcpEchoConnection : ILoadConnection
{
    private readonly Socket _socket;
    private readonly byte[] _message;
    private readonly byte[] _receive;

    private TcpEchoConnection(Socket socket, int size)
    {
        _socket = socket;
        _message = new byte[size];
        _receive = new byte[size];
    }

    public static async Task<ILoadConnection> ConnectAsync(IPEndPoint endPoint, int size, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TcpEchoConnection(socket, size);
    }

    public async ValueTask SendAsync(long sequence, CancellationToken cancellationToken)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_message, sequence);
        int sent = 0;
        while (sent < _message.Length)
        {
            sent += await _socket.SendAsync(_message.AsMemory(sent), SocketFlags.None, cancellationToken);
        }
    }

    public async ValueTask<Reply> ReceiveAsync(CancellationToken cancellationToken)
    {
        int received = 0;
        while (received < _receive.Length)
        {
            int n = await _socket.ReceiveAsync(_receive.AsMemory(received), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return Reply.Closed;
            }

            received += n;
        }

        return new Reply(BinaryPrimitives.ReadInt64LittleEndian(_receive), ReplyKind.Ok);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
