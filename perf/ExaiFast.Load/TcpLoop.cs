using System.Net;
using System.Net.Sockets;

namespace ExaiFast.Load;

/// <summary>The raw-TCP ceiling: send N bytes, read N bytes back from a byte echo server. No framing, no masking.</summary>
internal sealed class TcpLoop : LoadRunner.ILoop
{
    private readonly Socket _socket;
    private readonly byte[] _message;
    private readonly byte[] _receive;

    private TcpLoop(Socket socket, int size)
    {
        _socket = socket;
        _message = new byte[size];
        _receive = new byte[size];
    }

    public static async Task<LoadRunner.ILoop> ConnectAsync(IPEndPoint endPoint, int size)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new TcpLoop(socket, size);
    }

    public async ValueTask<bool> RoundTripAsync(CancellationToken cancellationToken)
    {
        await _socket.SendAsync(_message.AsMemory(), SocketFlags.None, cancellationToken);
        int received = 0;
        while (received < _receive.Length)
        {
            int n = await _socket.ReceiveAsync(_receive.AsMemory(received), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return false;
            }

            received += n;
        }

        return true;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A byte echo server: one task per connection, read then write back what was read.</summary>
    public static async Task ServeEchoAsync(IPEndPoint endPoint)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endPoint);
        listener.Listen(512);
        Console.WriteLine($"listening {((IPEndPoint)listener.LocalEndPoint!).Port}");
        while (true)
        {
            var socket = await listener.AcceptAsync();
            socket.NoDelay = true;
            _ = Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                using (socket)
                {
                    try
                    {
                        int n;
                        while ((n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None)) > 0)
                        {
                            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                        }
                    }
                    catch (SocketException)
                    {
                        // client went away
                    }
                }
            });
        }
    }
}
