using System.Text;

namespace ExaiFast.Load;

/// <summary>MCP over WebSocket (subprotocol <c>mcp</c>): <c>initialize</c> and <c>notifications/initialized</c> once, then <c>tools/call</c>.</summary>
internal sealed class McpWebSocketConnection : ILoadConnection
{
    private static readonly byte[] Initialize = """{"jsonrpc":"2.0","id":-1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"exaifast-load","version":"1"}}}"""u8.ToArray();
    private static readonly byte[] Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}"""u8.ToArray();

    private readonly WebSocketMessages _socket;
    private readonly RequestTemplate _template;
    private readonly byte[] _send;

    private McpWebSocketConnection(WebSocketMessages socket, RequestTemplate template)
    {
        _socket = socket;
        _template = template;
        _send = new byte[template.MaxLength];
    }

    public static async Task<ILoadConnection> ConnectAsync(Uri uri, RequestTemplate template, CancellationToken cancellationToken)
    {
        var socket = await WebSocketMessages.ConnectAsync(uri, "mcp", cancellationToken);
        try
        {
            await socket.SendTextAsync(Initialize, cancellationToken);
            var (open, message) = await socket.ReceiveAsync(cancellationToken);
            if (!open || !McpReply.TryRead(message.Span, out var reply) || reply.Kind != ReplyKind.Ok)
            {
                throw new InvalidOperationException("initialize failed: " + (open ? Encoding.UTF8.GetString(message.Span) : "connection closed"));
            }

            await socket.SendTextAsync(Initialized, cancellationToken);
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }

        return new McpWebSocketConnection(socket, template);
    }

    public ValueTask SendAsync(long sequence, CancellationToken cancellationToken) =>
        _socket.SendTextAsync(_send.AsMemory(0, _template.Write(sequence, _send)), cancellationToken);

    public async ValueTask<Reply> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (open, message) = await _socket.ReceiveAsync(cancellationToken);
            if (!open)
            {
                return Reply.Closed;
            }

            if (McpReply.TryRead(message.Span, out var reply))
            {
                return reply;
            }
        }
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();
}
