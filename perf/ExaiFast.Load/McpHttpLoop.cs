using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ExaiFast.Load;

/// <summary>
/// A closed loop of MCP <c>tools/call</c> over Streamable HTTP on one keep-alive connection, as a real client sends it
/// (<c>Accept: application/json, text/event-stream</c>, stateless: no session): POST, then read the whole response —
/// a JSON body with Content-Length, or a chunked SSE stream — and check the call succeeded.
/// </summary>
/// <remarks>A raw socket, not HttpClient: the generator's own cost per call stays small and the same for every server.</remarks>
internal sealed class McpHttpLoop : LoadRunner.ILoop
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] Result = "\"result\""u8.ToArray();
    private static readonly byte[] Failed = "\"isError\":true"u8.ToArray();

    // What a real client accepts; EXAIFAST_LOAD_ACCEPT overrides it (e.g. application/json to price the JSON path).
    private static readonly string Accept = Environment.GetEnvironmentVariable("EXAIFAST_LOAD_ACCEPT") ?? "application/json, text/event-stream";

    private readonly Socket _socket;
    private readonly string _path;
    private readonly string _host;
    private readonly string _prompt;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start;
    private int _end;
    private long _sequence;

    private McpHttpLoop(Socket socket, Uri uri, int size)
    {
        _socket = socket;
        _path = uri.PathAndQuery;
        _host = uri.Authority;
        _prompt = new string('x', Math.Max(1, size));
    }

    public static async Task<LoadRunner.ILoop> ConnectAsync(Uri uri, int size)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port));
        return new McpHttpLoop(socket, uri, size);
    }

    public async ValueTask<bool> RoundTripAsync(CancellationToken cancellationToken)
    {
        string body = $"{{\"jsonrpc\":\"2.0\",\"id\":{++_sequence},\"method\":\"tools/call\",\"params\":{{\"name\":\"chat\",\"arguments\":{{\"prompt\":\"{_prompt}\"}}}}}}";
        string request = $"POST {_path} HTTP/1.1\r\nHost: {_host}\r\nContent-Type: application/json\r\nAccept: {Accept}\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request), SocketFlags.None, cancellationToken);

        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(HeadEnd)) < 0)
        {
            if (!await FillAsync(cancellationToken))
            {
                return false;
            }
        }

        string head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
        _start += headEnd + HeadEnd.Length;
        if (!head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("call failed: " + head.Split("\r\n")[0]);
        }

        bool ok;
        int length = ContentLength(head);
        if (length >= 0)
        {
            while (_end - _start < length)
            {
                if (!await FillAsync(cancellationToken))
                {
                    return false;
                }
            }

            ok = Succeeded(_buffer.AsSpan(_start, length));
            _start += length;
        }
        else
        {
            ok = false;
            while (true)
            {
                int lineEnd;
                while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
                {
                    if (!await FillAsync(cancellationToken))
                    {
                        return false;
                    }
                }

                int chunk = Convert.ToInt32(Encoding.ASCII.GetString(_buffer, _start, lineEnd).Split(';')[0], 16);
                _start += lineEnd + 2;
                while (_end - _start < chunk + 2)
                {
                    if (!await FillAsync(cancellationToken))
                    {
                        return false;
                    }
                }

                ok |= Succeeded(_buffer.AsSpan(_start, chunk));
                _start += chunk + 2;
                if (chunk == 0)
                {
                    break;
                }
            }
        }

        if (!ok)
        {
            throw new InvalidOperationException("call failed: no successful result in the response");
        }

        return true;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    // A result without "isError": true (servers may leave out isError: false).
    private static bool Succeeded(ReadOnlySpan<byte> body) => body.IndexOf(Result) >= 0 && body.IndexOf(Failed) < 0;

    private static int ContentLength(string head)
    {
        foreach (string line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line.AsSpan(15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return -1; // chunked (the only other framing an MCP server sends on a keep-alive connection)
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        _end += n;
        return n > 0;
    }
}
