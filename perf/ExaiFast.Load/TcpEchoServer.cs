using System.Net;
using System.Net.Sockets;

namespace ExaiFast.Load;

/// <summary>The raw-TCP echo baseline (the kernel's ceiling): one task per connection, read then write back what was read.</summary>
internal static class TcpEchoServer
{
    /// <summary>A listening socket on <paramref name="endPoint"/> (port 0: the OS picks; read it from LocalEndPoint).</summary>
    public static Socket Listen(IPEndPoint endPoint)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endPoint);
        listener.Listen(4096);
        return listener;
    }

    /// <summary>Echoes on every connection <paramref name="listener"/> accepts until cancelled; disposes it then.</summary>
    public static async Task ServeAsync(Socket listener, CancellationToken cancellationToken)
    {
        using var owned = listener;
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            socket.NoDelay = true;
            _ = EchoAsync(socket, cancellationToken);
        }
    }

    private static async Task EchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var buffer = new byte[64 * 1024];
        using (socket)
        {
            try
            {
                int n;
                while ((n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, cancellationToken)) > 0)
                {
                    await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // client went away, or the server stops
            }
        }
    }
}
