using System.Net.WebSockets;

namespace ExaiFast.Load;

/// <summary>A closed loop over the BCL ClientWebSocket: send a binary message, read its echo.</summary>
internal sealed class WebSocketLoop : LoadRunner.ILoop
{
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _message;
    private readonly byte[] _receive;

    private WebSocketLoop(int size)
    {
        _message = new byte[size];
        new Random(size).NextBytes(_message);
        _receive = new byte[Math.Max(size, 16)];
    }

    public static async Task<LoadRunner.ILoop> ConnectAsync(Uri uri, int size)
    {
        var loop = new WebSocketLoop(size);
        loop._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await loop._socket.ConnectAsync(uri, CancellationToken.None);
        return loop;
    }

    public async ValueTask<bool> RoundTripAsync(CancellationToken cancellationToken)
    {
        await _socket.SendAsync(_message.AsMemory(), WebSocketMessageType.Binary, true, cancellationToken);
        int received = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_receive.AsMemory(received), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return false;
            }

            received += result.Count;
            if (result.EndOfMessage)
            {
                if (received != _message.Length)
                {
                    throw new InvalidOperationException($"echo of {received} bytes, sent {_message.Length}");
                }

                return true;
            }
        }
    }

    public ValueTask DisposeAsync() => new(_socket.CloseQuietlyAsync());
}
