using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ExaiFast.Tests.Limits;

/// <summary>Clients that connect from a loopback address of their choice (Linux routes all of 127/8 to lo), so that one
/// test can be several client addresses at once.</summary>
internal static class LoopbackClients
{
    /// <summary>127.0.<paramref name="b"/>.<paramref name="c"/>.</summary>
    public static IPAddress Address(int b, int c) => new([127, 0, (byte)b, (byte)c]);

    /// <summary>A TCP connection to <paramref name="server"/> from <paramref name="local"/>.</summary>
    public static async Task<Socket> ConnectAsync(IPAddress local, IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(server, TestContext.Current.CancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An HTTP handler (for HttpClient and ClientWebSocket) whose connections come from <paramref name="local"/>.</summary>
    public static SocketsHttpHandler Handler(IPAddress local) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>One <c>GET</c> on a fresh connection from <paramref name="local"/>, read to the server's FIN.</summary>
    /// <returns>The status, the <c>Retry-After</c> header (null if none), and whether the connection ended with a FIN
    /// (false: a reset).</returns>
    public static async Task<(int Status, string? RetryAfter, bool CleanClose)> GetAsync(IPAddress local, IPEndPoint server, string path = "/health")
    {
        using var socket = await ConnectAsync(local, server);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), TestContext.Current.CancellationToken);
        var (text, clean) = await ReadToEndAsync(socket);
        return (StatusOf(text), HeaderOf(text, "Retry-After"), clean);
    }

    /// <summary>Everything the peer sends until its FIN; false for a reset instead.</summary>
    public static async Task<(string Text, bool CleanClose)> ReadToEndAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
                if (n == 0)
                {
                    return (Encoding.ASCII.GetString(received.ToArray()), true);
                }

                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            return (Encoding.ASCII.GetString(received.ToArray()), false);
        }
    }

    /// <summary>The status code of an HTTP response's first line; 0 if there is none.</summary>
    public static int StatusOf(string response) =>
        response.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(response.AsSpan(9, 3), CultureInfo.InvariantCulture) : 0;

    /// <summary>A header's value in an HTTP response head; null if absent.</summary>
    public static string? HeaderOf(string response, string name)
    {
        int end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        foreach (string line in response[..(end < 0 ? response.Length : end)].Split("\r\n"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }
}
