using System.Buffers.Binary;
using System.Net.WebSockets;

namespace ExaiFast.Load;

/// <summary>WebSocket echo: a binary message of --size bytes whose first 8 carry the request number, echoed back.</summary>
internal sealed class WebSocketEchoConnection : ILoadConnection
{
    private readonly WebSocketMessages _socket;
    private readonly byte[] _message;

    private WebSocketEchoConnection(WebSocketMessages socket, int size)
    {
        _socket = socket;
        _message = new byte[size];
        new Random(size).NextBytes(_message);
    }

    public static async Task<ILoadConnection> ConnectAsync(Uri uri, int size, CancellationToken cancellationToken) =>
        new WebSocketEchoConnection(await WebSocketMessages.ConnectAsync(uri, null, cancellationToken), size);

    public ValueTask SendAsync(long sequence, CancellationToken cancellationToken)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_message, sequence);
        return _socket.Socket.SendAsync(_message.AsMemory(), WebSocketMessageType.Binary, true, cancellationToken);
    }

    public async ValueTask<Reply> ReceiveAsync(CancellationToken cancellationToken)
    {
        var (open, message) = await _socket.ReceiveAsync(cancellationToken);
        if (!open)
        {
            return Reply.Closed;
        }

        return message.Length == _message.Length
            ? new Reply(BinaryPrimitives.ReadInt64LittleEndian(message.Span), ReplyKind.Ok)
            : new Reply(-1, ReplyKind.Failed);
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();
}
