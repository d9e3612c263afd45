using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ExaiFast.Load;

/// <summary>
/// One POST after another on one keep-alive connection: MCP <c>tools/call</c> over Streamable HTTP, as a real client
/// sends it (<c>Accept: application/json, text/event-stream</c>, stateless: no session), or an OpenAI-style
/// <c>chat/completions</c> request (streamed, as ExaiFast asks its model servers). Each reply is read whole — a body
/// with Content-Length, or a chunked stream — and checked.
/// </summary>
/// <remarks>
/// A raw socket, not HttpClient: the generator's own cost per call stays small and the same for every server.
/// HTTP/1.1 answers in request order, so the reply names the oldest request still waiting (an open loop pipelines).
/// </remarks>
internal sealed class HttpPostConnection : ILoadConnection
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] Result = "\"result\""u8.ToArray();
    private static readonly byte[] Failed = "\"isError\":true"u8.ToArray();
    private static readonly byte[] Choices = "\"choices\""u8.ToArray();

    // What a real client accepts; EXAIFAST_LOAD_ACCEPT overrides it (e.g. application/json to price the JSON path).
    private static readonly string Accept = Environment.GetEnvironmentVariable("EXAIFAST_LOAD_ACCEPT") ?? "application/json, text/event-stream";

    private readonly Socket _socket;
    private readonly string _path;
    private readonly string _host;
    private readonly string _prompt;
    private readonly bool _chat;
    private readonly bool _stream;
    private readonly string _headers;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private readonly System.Collections.Concurrent.ConcurrentQueue<long> _waiting = new();
    private int _start;
    private int _end;

    private HttpPostConnection(Socket socket, Uri uri, int size, bool chat, bool stream, IReadOnlyList<string> headers)
    {
        _socket = socket;
        _path = uri.PathAndQuery;
        _host = uri.Authority;
        _prompt = new string('x', Math.Max(1, size));
        _chat = chat;
        _stream = stream;
        _headers = string.Concat(headers.Select(h => h + "\r\n"));
    }

    /// <summary>MCP <c>tools/call</c> of the chat tool over Streamable HTTP.</summary>
    public static Task<ILoadConnection> ConnectMcpAsync(Uri uri, int size, IReadOnlyList<string> headers, CancellationToken cancellationToken) =>
        ConnectAsync(uri, size, chat: false, stream: true, headers, cancellationToken);

    /// <summary>A <c>chat/completions</c> request (streamed unless <paramref name="stream"/> is false), straight to a model server or through a gateway (<paramref name="headers"/>).</summary>
    public static Task<ILoadConnection> ConnectChatAsync(Uri uri, int size, bool stream, IReadOnlyList<string> headers, CancellationToken cancellationToken) =>
        ConnectAsync(uri, size, chat: true, stream, headers, cancellationToken);

    private static async Task<ILoadConnection> ConnectAsync(Uri uri, int size, bool chat, bool stream, IReadOnlyList<string> headers, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new HttpPostConnection(socket, uri, size, chat, stream, headers);
    }

    public async ValueTask SendAsync(long sequence, CancellationToken cancellationToken)
    {
        string request = _chat
            ? Post(RequestTemplate.ChatCompletion(_prompt, _stream), (_stream ? "Accept: text/event-stream\r\n" : "Accept: application/json\r\n") + "Authorization: Bearer sk-bench\r\n")
            : Post($"{{\"jsonrpc\":\"2.0\",\"id\":{sequence},\"method\":\"tools/call\",\"params\":{{\"name\":\"chat\",\"arguments\":{{\"prompt\":\"{_prompt}\"}}}}}}",
                $"Accept: {Accept}\r\nMCP-Protocol-Version: 2025-11-25\r\n");
        _waiting.Enqueue(sequence);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request), SocketFlags.None, cancellationToken);
    }

    public async ValueTask<Reply> ReceiveAsync(CancellationToken cancellationToken)
    {
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(HeadEnd)) < 0)
        {
            if (!await FillAsync(cancellationToken))
            {
                return Reply.Closed;
            }
        }

        string head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
        _start += headEnd + HeadEnd.Length;
        bool status200 = head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        ReplyKind kind = ReplyKind.Failed;
        int length = ContentLength(head);
        if (length >= 0)
        {
            while (_end - _start < length)
            {
                if (!await FillAsync(cancellationToken))
                {
                    return Reply.Closed;
                }
            }

            kind = Classify(_buffer.AsSpan(_start, length), _chat);
            _start += length;
        }
        else
        {
            while (true)
            {
                int lineEnd;
                while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
                {
                    if (!await FillAsync(cancellationToken))
                    {
                        return Reply.Closed;
                    }
                }

                int chunk = Convert.ToInt32(Encoding.ASCII.GetString(_buffer, _start, lineEnd).Split(';')[0], 16);
                _start += lineEnd + 2;
                while (_end - _start < chunk + 2)
                {
                    if (!await FillAsync(cancellationToken))
                    {
                        return Reply.Closed;
                    }
                }

                var k = Classify(_buffer.AsSpan(_start, chunk), _chat);
                kind = k < kind ? k : kind;
                _start += chunk + 2;
                if (chunk == 0)
                {
                    break;
                }
            }
        }

        long sequence = _waiting.TryDequeue(out long s) ? s : -1;
        return new Reply(sequence, status200 ? kind : ReplyKind.Failed);
    }

    private string Post(string body, string headers) =>
        $"POST {_path} HTTP/1.1\r\nHost: {_host}\r\nContent-Type: application/json\r\n{headers}{_headers}Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    // MCP: a result without "isError": true (servers may leave out isError: false); a refusal carries OVER_CAPACITY.
    // Chat: any chunk with choices. Bytes, not JSON: an SSE chunk is "event: message\ndata: {...}", and this runs
    // once per chunk.
    private static ReplyKind Classify(ReadOnlySpan<byte> body, bool chat) =>
        chat ? (body.IndexOf(Choices) < 0 ? ReplyKind.Failed : ReplyKind.Ok)
        : body.IndexOf(Result) < 0 ? ReplyKind.Failed
        : body.IndexOf(Failed) < 0 ? ReplyKind.Ok
        : body.IndexOf("OVER_CAPACITY"u8) >= 0 ? ReplyKind.Refused
        : ReplyKind.Failed;

    private static int ContentLength(string head)
    {
        foreach (string line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line.AsSpan(15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return -1; // chunked (the only other framing a server sends on a keep-alive connection)
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
