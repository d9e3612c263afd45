using System.Text;

namespace ExaiFast.Load;

/// <summary>
/// exai-ws: <c>hello</c> once, then requests from a template (<c>call_tool</c> or <c>ping</c>), each answered by
/// the frame that ends it (<c>call_tool_res</c> after its <c>call_tool_ack</c>, or <c>pong</c>).
/// </summary>
internal sealed class ExaiConnection : ILoadConnection
{
    private readonly WebSocketMessages _socket;
    private readonly RequestTemplate _template;
    private readonly byte[] _answerOp;
    private readonly byte[] _send;

    private ExaiConnection(WebSocketMessages socket, RequestTemplate template, string answerOp)
    {
        _socket = socket;
        _template = template;
        _answerOp = Encoding.UTF8.GetBytes(answerOp);
        _send = new byte[template.MaxLength];
    }

    /// <summary>Connects and says hello as session <paramref name="sessionId"/>; fails unless hello_ack says ok.</summary>
    public static async Task<ILoadConnection> ConnectAsync(Uri uri, string sessionId, RequestTemplate template, string answerOp, CancellationToken cancellationToken)
    {
        var socket = await WebSocketMessages.ConnectAsync(uri, null, cancellationToken);
        try
        {
            await HelloAsync(socket, sessionId, cancellationToken);
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }

        return new ExaiConnection(socket, template, answerOp);
    }

    /// <summary>Sends hello and reads hello_ack.</summary>
    public static async Task HelloAsync(WebSocketMessages socket, string sessionId, CancellationToken cancellationToken)
    {
        await socket.SendTextAsync(Encoding.UTF8.GetBytes($"{{\"op\":\"hello\",\"session_id\":\"{sessionId}\"}}"), cancellationToken);
        var (open, message) = await socket.ReceiveAsync(cancellationToken);
        if (!open || message.Span.IndexOf("\"op\":\"hello_ack\",\"ok\":true"u8) < 0)
        {
            throw new InvalidOperationException("hello refused: " + (open ? Encoding.UTF8.GetString(message.Span) : "connection closed"));
        }
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

            if (ExaiReply.TryRead(message.Span, _answerOp, out var reply))
            {
                return reply;
            }
        }
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();
}
