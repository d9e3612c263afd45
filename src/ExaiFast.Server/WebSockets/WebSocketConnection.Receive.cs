using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using ExaiFast.Server.Connections;
using ExaiFast.Wire;

namespace ExaiFast.Server.WebSockets;

// The frame loop: headers, control frames and the closing handshake here; data frames go to the message assembler.
internal sealed partial class WebSocketConnection
{
    /// <summary>The frame loop (Autobahn sections 1–7, 9, 10). Returns the reason the connection ended.</summary>
    /// <remarks>An idle connection waits here, so this state machine holds nothing but the wait: what a read's frames
    /// need lives in <see cref="OnReadAsync"/>'s, which completes at once unless it waits for budget or the door (its
    /// locals here were 312 bytes of every idle connection).</remarks>
    private async Task<CloseReason> ReceiveLoopAsync()
    {
        var input = _connection.Input;
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            if (await OnReadAsync(input, result).ConfigureAwait(false) is { } reason)
            {
                return reason;
            }
        }
    }

    /// <summary>One read's frames: returns why the connection ends, or null to read on.</summary>
    private async ValueTask<CloseReason?> OnReadAsync(PipeReader input, ReadResult result)
    {
        var door = _door!;
        var buffer = result.Buffer;
        long received = buffer.Length;
        if (!buffer.IsEmpty)
        {
            Volatile.Write(ref _lastReceived, _ctx.Time.GetTimestamp());
            Volatile.Write(ref _pingSent, 0);
        }

        int frames = 0;
        int messages = 0;
        // A cancelled read is the heartbeat's or shutdown's doing: the reason, if any, is the one it recorded.
        CloseReason? ended = result.IsCanceled ? Volatile.Read(ref _endedBy) ?? CloseReason.Aborted : null;
        while (ended is null)
        {
            if (!_assembler.InFrame)
            {
                var status = FrameParser.TryParseHeader(buffer, fromClient: true, out var header);
                if (status == FrameParseStatus.Incomplete)
                {
                    break;
                }

                if (status == FrameParseStatus.Invalid)
                {
                    ended = Fail(CloseCodes.ProtocolError, Describe(header.Error));
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

                    ended = HandleControlFrame(header, buffer.Slice(header.HeaderLength, header.PayloadLength));
                    buffer = buffer.Slice(total);
                    continue; // a close frame ends the loop, any other control frame reads on
                }

                frames++;
                var error = _assembler.BeginFrame(header);
                if (error != MessageError.None)
                {
                    ended = Fail(error);
                    break;
                }

                if (_assembler.NeedsBudget)
                {
                    // Waits with the rest of the message unread: the pipe fills, reading from the socket stops, and
                    // TCP holds the peer back. Other connections' small messages flow meanwhile.
                    ended = await ReserveBudgetAsync().ConfigureAwait(false);
                    if (ended is not null)
                    {
                        break;
                    }
                }

                buffer = buffer.Slice(header.HeaderLength);
            }

            if (_assembler.FrameRemaining > 0)
            {
                if (buffer.IsEmpty)
                {
                    break;
                }

                long take = Math.Min(_assembler.FrameRemaining, buffer.Length);
                var error = _assembler.Append(buffer.Slice(0, take));
                buffer = buffer.Slice(take);
                if (error != MessageError.None)
                {
                    ended = Fail(error);
                    break;
                }

                if (_assembler.FrameRemaining > 0)
                {
                    break;
                }
            }

            if (!_assembler.TryEndFrame(out var message, out var invalid))
            {
                if (invalid != MessageError.None)
                {
                    ended = Fail(invalid);
                    break;
                }

                continue; // more fragments follow
            }

            messages++;
            if (IsCloseSent)
            {
                message.Payload.Return(); // RFC 6455 §5.5.1: after our close, data is discarded
            }
            else
            {
                // Waits only while the outbound queue is full: a peer that doesn't read is not read from.
                await door.OnMessageAsync(message, _closed.Token).ConfigureAwait(false);
            }
        }

        received -= buffer.Length;
        input.AdvanceTo(buffer.Start, buffer.End);
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

        if (ended is not null)
        {
            _assembler.Discard();
            return ended;
        }

        if (result.IsCompleted)
        {
            _assembler.Discard();
            _ctx.Metrics.Closes.WithLabels("1006", "client").Inc();
            return CloseReason.PeerVanished;
        }

        return null;
    }

    /// <summary>Takes the budget the frame being begun needs; returns why the connection ends if the wait was given up.</summary>
    private async ValueTask<CloseReason?> ReserveBudgetAsync()
    {
        if (!await _assembler.ReserveAsync().ConfigureAwait(false))
        {
            return Volatile.Read(ref _endedBy) ?? CloseReason.BudgetWaitEnded;
        }

        // The peer was held back by us: its silence while we waited must not count as its own.
        Volatile.Write(ref _lastReceived, _ctx.Time.GetTimestamp());
        return null;
    }

    private CloseReason? HandleControlFrame(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        Span<byte> body = stackalloc byte[125];
        body = body[..(int)payload.Length];
        payload.CopyTo(body);
        Masking.Apply(body, header.MaskKey, 0);

        switch (header.Opcode)
        {
            case WebSocketOpcode.Ping:
                if (!IsCloseSent)
                {
                    // If the queue is full the peer isn't reading; its ping can wait for the next one.
                    var pong = PooledBuffer.CopyOf(body);
                    if (!_writer.TryQueue(new OutboundFrame(WebSocketOpcode.Pong, pong)))
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

    private CloseReason? HandleCloseFrame(ReadOnlySpan<byte> body)
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
        if (IsCloseSent)
        {
            return CloseReason.HandshakeCompleted;
        }

        // Echo the peer's code (RFC 6455 §5.5.1); an empty close gets an empty close.
        SendCloseFrame(body.Length >= 2 ? code : (ushort)0, string.Empty, countAsServer: false);
        return CloseReason.PeerClosed;
    }

    private CloseReason Fail(MessageError error) => Fail(CloseCode(error), Describe(error));

    private static ushort CloseCode(MessageError error) => error switch
    {
        MessageError.TooBig => CloseCodes.MessageTooBig,
        MessageError.InvalidUtf8 or MessageError.TruncatedUtf8 => CloseCodes.InvalidPayload,
        _ => CloseCodes.ProtocolError,
    };

    private static string Describe(MessageError error) => error switch
    {
        MessageError.ContinuationWithoutMessage => "continuation frame without an open message",
        MessageError.NewMessageWhileFragmented => "new data frame while a fragmented message is open",
        MessageError.TooBig => "message exceeds the size limit",
        MessageError.InvalidUtf8 => "text message is not valid UTF-8",
        MessageError.TruncatedUtf8 => "text message ends inside a UTF-8 sequence",
        _ => "protocol error",
    };

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
