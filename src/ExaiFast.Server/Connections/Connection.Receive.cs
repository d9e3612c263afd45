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
    private bool _messageOwned;     // _message was allocated for a big message under the budget, not rented
    private long _reserved;         // inbound budget the open message holds (0: a small message)
    private long _budgetNeeded;     // more budget the frame being begun needs before its payload is read
    private long _budgetWaitStarted; // timestamp; 0 when not waiting (read by the heartbeat)
    private long _budgetHeldSince;  // timestamp the open message took budget; 0 when it holds none (read by the heartbeat)
    private InboundBudget.Waiter? _budgetWaiter;
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
                    if (stop is null && _budgetNeeded > 0)
                    {
                        // Waits with the rest of the message unread: the pipe fills, reading from the socket stops, and
                        // TCP holds the peer back. Other connections' small messages flow meanwhile.
                        stop = await ReserveBudgetAsync().ConfigureAwait(false);
                    }

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

                    var message = new WebSocketMessage(_messageOpcode, TakePayload());
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
        long declared = _messageLength + header.PayloadLength;
        if (declared > _ctx.Options.MaxMessageBytes)
        {
            return Fail(CloseCodes.MessageTooBig, "message exceeds the size limit");
        }

        // A big message takes budget for all it has declared so far before any of this frame is read. A fragmented one
        // grows its reservation (and so its array) in doubling steps up to its last frame, not frame by frame: 4 MiB
        // sent in 64-byte fragments reallocated and copied its array 65,000 times.
        if (declared > InboundBudget.SmallMessageBytes && declared > _reserved)
        {
            long target = header.Fin ? declared : Math.Min(Math.Max(declared, 2 * _reserved), _ctx.Options.MaxMessageBytes);
            _budgetNeeded = target - _reserved;
        }

        _frame = header;
        _inFrame = true;
        _frameRemaining = header.PayloadLength;
        _maskOffset = 0;
        return null;
    }

    /// <summary>Takes <see cref="_budgetNeeded"/> from the inbound budget, waiting for it if it must; returns why the
    /// connection ends if the wait was given up (timeout, abort, shutdown).</summary>
    private async ValueTask<string?> ReserveBudgetAsync()
    {
        long need = _budgetNeeded;
        _budgetNeeded = 0;
        var budget = _ctx.InboundBudget;
        if (!budget.TryReserve(need, out var waiter))
        {
            Volatile.Write(ref _budgetWaitStarted, _ctx.Time.GetTimestamp());
            // A full fence before reading the flags, as Abort and BeginShutdown set theirs with one before they look for
            // the waiter: whichever comes second sees the other, so no wait outlives an abort.
            Interlocked.Exchange(ref _budgetWaiter, waiter);
            if (Volatile.Read(ref _aborted) != 0 || Volatile.Read(ref _shutdownRequested) != 0)
            {
                budget.Cancel(waiter!); // Abort or BeginShutdown ran before the waiter was published
            }

            bool granted = await waiter!.Granted.ConfigureAwait(false);
            Volatile.Write(ref _budgetWaiter, null);
            Volatile.Write(ref _budgetWaitStarted, 0);
            if (!granted)
            {
                return _failReason ?? "waiting for inbound budget ended by shutdown or abort";
            }

            // The peer was held back by us: its silence while we waited must not count as its own.
            Volatile.Write(ref _lastReceived, _ctx.Time.GetTimestamp());
        }

        _reserved += need;
        if (Volatile.Read(ref _budgetHeldSince) == 0)
        {
            Volatile.Write(ref _budgetHeldSince, _ctx.Time.GetTimestamp());
        }

        return null;
    }

    /// <summary>Hands the complete message's bytes over; a big message's reservation travels with its array.</summary>
    private PooledBuffer TakePayload()
    {
        PooledBuffer payload = default;
        if (_message is not null)
        {
            if (_messageOwned)
            {
                // The array is allocated at the reservation (see GrowOwned), so releasing the array releases the bytes;
                // what a fragmented message reserved beyond its array goes back now.
                payload = new PooledBuffer(_message, _messageLength, _ctx.InboundBudget);
                _ctx.InboundBudget.Release(_reserved - _message.LongLength);
                _reserved = 0;
            }
            else
            {
                payload = new PooledBuffer(_message, _messageLength);
            }
        }

        _message = null;
        _messageLength = 0;
        _messageOwned = false;
        _ctx.InboundBudget.Release(_reserved); // budget taken for a message that ended up with no owned array (none today)
        _reserved = 0;
        Volatile.Write(ref _budgetHeldSince, 0);
        return payload;
    }

    /// <summary>Copies, unmasks and (for text) validates a chunk of the current frame's payload.</summary>
    private string? AppendPayload(in ReadOnlySequence<byte> chunk)
    {
        int needed = _messageLength + (int)chunk.Length;
        if (_reserved > 0)
        {
            if (!_messageOwned || needed > _message!.Length)
            {
                GrowOwned();
            }
        }
        else if (_message is null || needed > _message.Length)
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

    /// <summary>
    /// Moves a big message into an array of exactly its reservation, allocated for it and never pooled (see
    /// <see cref="InboundBudget"/>). Sized from the declared length, unlike small messages: the budget, taken before a
    /// byte of the frame was read, is what bounds it — a peer that declares 32 MiB and sends nothing holds at most the
    /// budget, for at most the budget timeout — and one exact array is one copy of the message, with no doubling
    /// garbage on the large object heap.
    /// </summary>
    private void GrowOwned()
    {
        byte[] owned = GC.AllocateUninitializedArray<byte>(checked((int)_reserved));
        if (_message is not null)
        {
            _message.AsSpan(0, _messageLength).CopyTo(owned);
            if (!_messageOwned)
            {
                ArrayPool<byte>.Shared.Return(_message);
            }
        }

        _message = owned;
        _messageOwned = true;
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

    /// <summary>Drops the message being assembled and gives back its budget. Idempotent: the reader's end and the
    /// teardown (after an exception) both call it.</summary>
    private void ReturnMessageBuffer()
    {
        if (_message is not null && !_messageOwned)
        {
            ArrayPool<byte>.Shared.Return(_message);
        }

        _message = null;
        _messageOwned = false;
        _ctx.InboundBudget.Release(_reserved);
        _reserved = 0;
        Volatile.Write(ref _budgetHeldSince, 0);
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
