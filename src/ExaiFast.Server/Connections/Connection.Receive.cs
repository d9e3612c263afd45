using System.Buffers;
using System.Buffers.Binary;
using ExaiFast.Server.Http;
using ExaiFast.Server.Logging;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Connections;

internal sealed partial class Connection
{
    // Receive state: the frame being read and the message being assembled. Touched only by the reader loop.
    private FrameHeader _frame;
    private bool _inFrame;
    private long _frameRemaining;
    private int _maskOffset;
    private WebSocketOpcode _messageOpcode; // Continuation = no message open
    private byte[]? _message;
    private int _messageLength;
    private Utf8Validator _utf8;
    private long _lastReceived;
    private int _pingSent;
    private bool _opened;   // counted in the open gauges and announced to the handler
    private IWebSocketHandler? _handler;
    private IWebSocketDoor? _door;
    private string? _failReason;

    /// <summary>Completes the handshake, then reads frames until the connection ends; returns why it ended.</summary>
    private async Task<string> RunWebSocketAsync(HttpRequestHead head)
    {
        Volatile.Write(ref _handler, head.Path == "/echo" ? EchoHandler.Instance : _ctx.Handler);
        Subprotocol = WebSocketHandshake.SelectSubprotocol(head);

        // The connection already holds its slot in the connection limits (taken at accept): an upgrade is not counted again.
        WriteHandshakeResponse(head["Sec-WebSocket-Key"]!);

        // Flush before the writer loop exists: from here on it is the only code that touches the PipeWriter
        // (a close queued by a shutdown racing this flush once corrupted the stream).
        await _output.FlushAsync().ConfigureAwait(false);
        StartWriter();
        _ctx.Metrics.HttpRequests.WithLabels("websocket", "101").Inc();

        _ctx.Registry.WebSocketOpened();
        _ctx.Metrics.WebSocketsOpen.Inc();
        _ctx.Metrics.WebSocketsTotal.WithLabels(Subprotocol ?? "exai-ws").Inc();
        Volatile.Write(ref _lastReceived, _ctx.Time.GetTimestamp());
        EnterPhase(ConnectionPhase.WebSocket);
        _opened = true;
        _door = _handler.Open(this);
        if (Volatile.Read(ref _shutdownRequested) != 0)
        {
            BeginClose(CloseCodes.GoingAway, "server shutting down"); // shutdown raced the upgrade
        }

        // An async method's parameters live in its state machine for as long as it runs: an idle connection would keep
        // its whole request head (a dozen header strings, about 0.5 KiB) for its lifetime (issue 11: memory per connection).
        head = null!;
        return await ReceiveLoopAsync().ConfigureAwait(false);
    }

    private void WriteHandshakeResponse(string key)
    {
        Span<byte> accept = stackalloc byte[WebSocketHandshake.AcceptKeyLength];
        WebSocketHandshake.WriteAcceptKey(key, accept);
        int n = HttpResponseWriter.WriteSwitchingProtocols(_output, accept, Subprotocol);
        _ctx.Metrics.BytesSent.Inc(n);
    }

    /// <summary>The frame loop (Autobahn sections 1–7, 9, 10). Returns the reason the connection ended.</summary>
    private async Task<string> ReceiveLoopAsync()
    {
        var door = _door!;
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            long received = buffer.Length;
            if (!buffer.IsEmpty)
            {
                Volatile.Write(ref _lastReceived, _ctx.Time.GetTimestamp());
                Volatile.Write(ref _pingSent, 0);
            }

            int frames = 0;
            int messages = 0;
            string? stop = result.IsCanceled ? _failReason ?? "aborted" : null;
            while (stop is null)
            {
                if (!_inFrame)
                {
                    var status = FrameParser.TryParseHeader(buffer, fromClient: true, out var header);
                    if (status == FrameParseStatus.Incomplete)
                    {
                        break;
                    }

                    if (status == FrameParseStatus.Invalid)
                    {
                        stop = Fail(CloseCodes.ProtocolError, Describe(header.Error));
                        break;
                    }

                    if (header.IsControl)
                    {
                        long total = header.HeaderLength + header.PayloadLength;
                        if (buffer.Length < total)
                        {
                            break; // control frames are handled whole (at most 139 bytes)
                        }

                        frames++;

                        stop = HandleControlFrame(header, buffer.Slice(header.HeaderLength, header.PayloadLength));
                        buffer = buffer.Slice(total);
                        continue;
                    }

                    frames++;
                    stop = BeginDataFrame(header);
                    if (stop is not null)
                    {
                        break;
                    }

                    buffer = buffer.Slice(header.HeaderLength);
                }

                if (_frameRemaining > 0)
                {
                    if (buffer.IsEmpty)
                    {
                        break;
                    }

                    long take = Math.Min(_frameRemaining, buffer.Length);
                    stop = AppendPayload(buffer.Slice(0, take));
                    buffer = buffer.Slice(take);
                    _frameRemaining -= take;
                    if (stop is not null || _frameRemaining > 0)
                    {
                        break;
                    }
                }

                _inFrame = false;
                if (_frame.Fin)
                {
                    if (_messageOpcode == WebSocketOpcode.Text && !_utf8.IsComplete)
                    {
                        stop = Fail(CloseCodes.InvalidPayload, "text message ends inside a UTF-8 sequence");
                        break;
                    }

                    var message = new WebSocketMessage(_messageOpcode, _message is null ? default : new PooledBuffer(_message, _messageLength));
                    _message = null;
                    _messageLength = 0;
                    _messageOpcode = WebSocketOpcode.Continuation;
                    messages++;
                    if (Volatile.Read(ref _closeSent) != 0)
                    {
                        message.Payload.Return(); // RFC 6455 §5.5.1: after our close, data is discarded
                    }
                    else
                    {
                        // Waits only while the outbound queue is full: a peer that doesn't read is not read from.
                        await door.OnMessageAsync(message, _closed.Token).ConfigureAwait(false);
                    }
                }
            }

            received -= buffer.Length;
            _input.AdvanceTo(buffer.Start, buffer.End);
            _ctx.Metrics.BytesReceived.Inc(received);
            if (frames > 0)
            {
                // Counters move once per read batch, not per frame or message (each Inc is an interlocked update).
                _ctx.Metrics.FramesReceived.Inc(frames);
                if (messages > 0)
                {
                    _ctx.Metrics.MessagesReceived.Inc(messages);
                }
            }

            if (stop is not null)
            {
                ReturnMessageBuffer();
                return stop;
            }

            if (result.IsCompleted)
            {
                ReturnMessageBuffer();
                _ctx.Metrics.Closes.WithLabels("1006", "client").Inc();
                return "peer closed the TCP connection without a close frame";
            }
        }
    }

    private string? BeginDataFrame(in FrameHeader header)
    {
        if (header.Opcode == WebSocketOpcode.Continuation)
        {
            if (_messageOpcode == WebSocketOpcode.Continuation)
            {
                return Fail(CloseCodes.ProtocolError, "continuation frame without an open message");
            }
        }
        else if (_messageOpcode != WebSocketOpcode.Continuation)
        {
            return Fail(CloseCodes.ProtocolError, "new data frame while a fragmented message is open");
        }
        else
        {
            _messageOpcode = header.Opcode;
            _utf8.Reset();
        }

        // 1009 as soon as the declared length passes the limit: nothing has been (or will be) allocated for it.
        if (_messageLength + header.PayloadLength > _ctx.Options.MaxMessageBytes)
        {
            return Fail(CloseCodes.MessageTooBig, "message exceeds the size limit");
        }

        _frame = header;
        _inFrame = true;
        _frameRemaining = header.PayloadLength;
        _maskOffset = 0;
        return null;
    }

    /// <summary>Copies, unmasks and (for text) validates a chunk of the current frame's payload.</summary>
    private string? AppendPayload(in ReadOnlySequence<byte> chunk)
    {
        int needed = _messageLength + (int)chunk.Length;
        if (_message is null || needed > _message.Length)
        {
            // Grow from what has arrived, never from the declared length (a peer may declare 32 MiB and send nothing),
            // but no further than the end of the current frame.
            long frameEnd = _messageLength + _frameRemaining;
            long target = Math.Max(needed, Math.Min(Math.Max((_message?.Length ?? 0) * 2L, 1024), frameEnd));
            byte[] bigger = ArrayPool<byte>.Shared.Rent((int)target);
            if (_message is not null)
            {
                _message.AsSpan(0, _messageLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_message);
            }

            _message = bigger;
        }

        bool text = _messageOpcode == WebSocketOpcode.Text;
        foreach (var segment in chunk)
        {
            var destination = _message.AsSpan(_messageLength, segment.Length);
            segment.Span.CopyTo(destination);
            _maskOffset = Masking.Apply(destination, _frame.MaskKey, _maskOffset);
            _messageLength += segment.Length;
            if (text && !_utf8.TryConsume(destination))
            {
                return Fail(CloseCodes.InvalidPayload, "text message is not valid UTF-8");
            }
        }

        return null;
    }

    private string? HandleControlFrame(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        Span<byte> body = stackalloc byte[125];
        body = body[..(int)payload.Length];
        payload.CopyTo(body);
        Masking.Apply(body, header.MaskKey, 0);

        switch (header.Opcode)
        {
            case WebSocketOpcode.Ping:
                if (Volatile.Read(ref _closeSent) == 0)
                {
                    // If the queue is full the peer isn't reading; its ping can wait for the next one.
                    var pong = PooledBuffer.CopyOf(body);
                    if (!_outbound!.Writer.TryWrite(new OutboundFrame(WebSocketOpcode.Pong, pong)))
                    {
                        pong.Return();
                    }
                }

                return null;
            case WebSocketOpcode.Pong:
                return null; // any frame already counts as liveness
            default:
                return HandleCloseFrame(body);
        }
    }

    private string? HandleCloseFrame(ReadOnlySpan<byte> body)
    {
        if (body.Length == 1)
        {
            return Fail(CloseCodes.ProtocolError, "close frame with a 1-byte body");
        }

        ushort code = CloseCodes.NoStatusReceived;
        if (body.Length >= 2)
        {
            code = BinaryPrimitives.ReadUInt16BigEndian(body);
            if (!CloseCodes.IsValidFromPeer(code))
            {
                return Fail(CloseCodes.ProtocolError, "invalid close code");
            }

            if (!Utf8Validator.IsValid(body[2..]))
            {
                return Fail(CloseCodes.InvalidPayload, "close reason is not valid UTF-8");
            }
        }

        _ctx.Metrics.Closes.WithLabels(code.ToString(System.Globalization.CultureInfo.InvariantCulture), "client").Inc();
        if (Volatile.Read(ref _closeSent) != 0)
        {
            return "closing handshake completed";
        }

        // Echo the peer's code (RFC 6455 §5.5.1); an empty close gets an empty close.
        SendCloseFrame(body.Length >= 2 ? code : (ushort)0, string.Empty, countAsServer: false);
        return "peer closed";
    }

    /// <summary>Fails the connection: close frame with <paramref name="code"/>, then the TCP connection ends.</summary>
    private string Fail(ushort code, string reason)
    {
        ServerLog.ProtocolError(_ctx.Logger, Id, code, reason);
        TrySendClose(code, reason);
        return reason;
    }

    private void ReturnMessageBuffer()
    {
        if (_message is not null)
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = null;
        }
    }

    private static string Describe(FrameError error) => error switch
    {
        FrameError.ReservedBitsSet => "reserved bits set without a negotiated extension",
        FrameError.UnknownOpcode => "unknown opcode",
        FrameError.FragmentedControlFrame => "fragmented control frame",
        FrameError.ControlFrameTooLong => "control frame payload longer than 125 bytes",
        FrameError.UnmaskedClientFrame => "client frame is not masked",
        FrameError.LengthOverflow => "64-bit payload length with the top bit set",
        _ => "protocol error",
    };
}
