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
    private readonly int _turns;
    private readonly byte[] _thread = new byte[ThreadArgument.Length + 36 + 1];
    private int _threadTurns;

    private static readonly byte[] ThreadArgument = Encoding.UTF8.GetBytes(",\"continuation_id\":\"");

    private ExaiConnection(WebSocketMessages socket, RequestTemplate template, string answerOp, int turns)
    {
        _socket = socket;
        _template = template;
        _answerOp = Encoding.UTF8.GetBytes(answerOp);
        _send = new byte[template.MaxLength + _thread.Length];
        _turns = turns;
        ThreadArgument.CopyTo(_thread, 0);
        _thread[^1] = (byte)'"';
    }

    /// <summary>Connects and says hello as session <paramref name="sessionId"/>; fails unless hello_ack says ok.</summary>
    /// <remarks>With <c>turns</c> above 1, calls make conversations of that many turns: the continuation_id of a
    /// conversation's first answer goes with its next calls.</remarks>
    public static async Task<ILoadConnection> ConnectAsync(Uri uri, string sessionId, RequestTemplate template, string answerOp, CancellationToken cancellationToken, int turns = 0)
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

        return new ExaiConnection(socket, template, answerOp, turns);
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

    public ValueTask SendAsync(long sequence, CancellationToken cancellationToken)
    {
        // A closed loop sends a connection's next call only after the answer to its last: the thread id is current.
        bool continues = _turns > 1 && _threadTurns is > 0 && _threadTurns < _turns;
        int n = _template.Write(sequence, _send, continues ? _thread : default);
        return _socket.SendTextAsync(_send.AsMemory(0, n), cancellationToken);
    }

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
                if (_turns > 1)
                {
                    FollowThread(message.Span, reply);
                }

                return reply;
            }
        }
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    // The thread the next call continues: the answer's top-level continuation_id, until the conversation has its turns.
    private void FollowThread(ReadOnlySpan<byte> frame, Reply reply)
    {
        int at = frame.LastIndexOf("\"continuation_id\":\""u8);
        if (reply.Kind != ReplyKind.Ok || at < 0 || frame.Length < at + 19 + 36 || _threadTurns + 1 >= _turns)
        {
            _threadTurns = 0; // start a new conversation
            return;
        }

        frame.Slice(at + 19, 36).CopyTo(_thread.AsSpan(ThreadArgument.Length));
        _threadTurns++;
    }
}
