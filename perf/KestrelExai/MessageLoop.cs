using System.Buffers;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace KestrelExai;

/// <summary>
/// What both handlers share: read one whole text message at a time, and write answers with one reused
/// <see cref="Utf8JsonWriter"/> per connection, sent with one <c>SendAsync</c> each.
/// </summary>
internal sealed class MessageLoop(WebSocket socket)
{
    // The daemon's own output escaping (non-ASCII text as is), so the frames are the same bytes as ExaiFast's.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private byte[] _input = new byte[64 * 1024];

    public Utf8JsonWriter Writer { get; } = new(Stream.Null, WriterOptions);

    /// <summary>The next whole message, or null when the peer closed.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken)
    {
        int received = 0;
        while (true)
        {
            if (received == _input.Length)
            {
                Array.Resize(ref _input, _input.Length * 2);
            }

            var result = await socket.ReceiveAsync(_input.AsMemory(received), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return null;
            }

            received += result.Count;
            if (result.EndOfMessage)
            {
                return _input.AsMemory(0, received);
            }
        }
    }

    /// <summary>Points <see cref="Writer"/> at an empty buffer for the next answer.</summary>
    public Utf8JsonWriter Begin()
    {
        _output.ResetWrittenCount();
        Writer.Reset(_output);
        return Writer;
    }

    /// <summary>Sends what <see cref="Writer"/> wrote since <see cref="Begin"/> as one text message.</summary>
    public ValueTask SendAsync(CancellationToken cancellationToken)
    {
        Writer.Flush();
        return socket.SendAsync(_output.WrittenMemory, WebSocketMessageType.Text, true, cancellationToken);
    }
}
