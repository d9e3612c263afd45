using System.Net.WebSockets;

namespace ExaiFast.Load;

/// <summary>A BCL <see cref="ClientWebSocket"/> read a whole message at a time into one growing buffer.</summary>
internal sealed class WebSocketMessages : IAsyncDisposable
{
    private byte[] _receive = new byte[16 * 1024];

    private WebSocketMessages(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>Connects with keep-alive pings off (they would be load the other targets do not get).</summary>
    public static async Task<WebSocketMessages> ConnectAsync(Uri uri, string? subProtocol, CancellationToken cancellationToken, int bufferSize = 16 * 1024)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.SetBuffer(bufferSize, bufferSize);
        if (subProtocol is not null)
        {
            socket.Options.AddSubProtocol(subProtocol);
        }

        try
        {
            await socket.ConnectAsync(uri, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new WebSocketMessages(socket);
    }

    /// <summary>The next whole message (valid until the next call), or empty with false when the peer closed.</summary>
    public async ValueTask<(bool Open, ReadOnlyMemory<byte> Message)> ReceiveAsync(CancellationToken cancellationToken)
    {
        int received = 0;
        while (true)
        {
            if (received == _receive.Length)
            {
                Array.Resize(ref _receive, _receive.Length * 2);
            }

            var result = await Socket.ReceiveAsync(_receive.AsMemory(received), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (false, default);
            }

            received += result.Count;
            if (result.EndOfMessage)
            {
                return (true, _receive.AsMemory(0, received));
            }
        }
    }

    public ValueTask SendTextAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        Socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken);

    public ValueTask DisposeAsync() => new(Socket.CloseQuietlyAsync());
}
