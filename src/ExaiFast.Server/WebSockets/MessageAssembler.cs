using System.Buffers;
using ExaiFast.Server.Connections;
using ExaiFast.Wire;

namespace ExaiFast.Server.WebSockets;

/// <summary>
/// Turns one connection's data frames into whole messages: unmasks and copies payloads, validates text as UTF-8 as it
/// arrives, enforces the message size limit, and keeps a big message under the <see cref="InboundBudget"/>.
/// </summary>
/// <remarks>
/// Used by the connection's reader only, except <see cref="Reservation"/>'s thread-safe members (the heartbeat judges
/// how long a big message waits for, or holds, its budget). A small message grows a pooled array from what arrives; a big
/// one lives in an array of exactly its reservation (see <see cref="GrowOwned"/>).
/// </remarks>
internal sealed class MessageAssembler(ConnectionContext ctx, TransportConnection connection)
{
    private readonly InboundBudget _budget = ctx.InboundBudget;
    private readonly long _maxMessageBytes = ctx.Options.MaxMessageBytes;
    private FrameHeader _frame;
    private int _maskOffset;
    private WebSocketOpcode _opcode; // Continuation = no message open
    private byte[]? _message;
    private int _length;
    private bool _owned;             // _message was allocated for a big message under the budget, not rented
    private long _budgetNeeded;      // more budget the frame being begun needs before its payload is read
    private Utf8Validator _utf8;

    /// <summary>What the message holds of the inbound budget, or waits for.</summary>
    public BudgetReservation Reservation { get; } = new(ctx.InboundBudget, ctx.Time, connection);

    /// <summary>Whether a data frame's header was taken and its payload is still being read.</summary>
    public bool InFrame { get; private set; }

    /// <summary>Payload bytes of the current frame not read yet.</summary>
    public long FrameRemaining { get; private set; }

    /// <summary>Whether <see cref="BeginFrame"/> left budget to take (<see cref="ReserveAsync"/>) before the payload.</summary>
    public bool NeedsBudget => _budgetNeeded > 0;

    /// <summary>Whether a message is open (a fragment of it read, or its first frame begun).</summary>
    private bool IsOpen => _opcode != WebSocketOpcode.Continuation;

    /// <summary>Takes a data frame's header: checks fragmentation and the size limit, and works out the budget its
    /// payload needs.</summary>
    public MessageError BeginFrame(in FrameHeader header)
    {
        if (header.Opcode == WebSocketOpcode.Continuation)
        {
            if (!IsOpen)
            {
                return MessageError.ContinuationWithoutMessage;
            }
        }
        else if (IsOpen)
        {
            return MessageError.NewMessageWhileFragmented;
        }
        else
        {
            _opcode = header.Opcode;
            _utf8.Reset();
        }

        // 1009 as soon as the declared length passes the limit: nothing has been (or will be) allocated for it.
        long declared = _length + header.PayloadLength;
        if (declared > _maxMessageBytes)
        {
            return MessageError.TooBig;
        }

        // A big message takes budget for all it has declared so far before any of this frame is read. A fragmented one
        // grows its reservation (and so its array) in doubling steps up to its last frame, not frame by frame: 4 MiB
        // sent in 64-byte fragments reallocated and copied its array 65,000 times.
        long reserved = Reservation.Reserved;
        if (declared > InboundBudget.SmallMessageBytes && declared > reserved)
        {
            long target = header.Fin ? declared : Math.Min(Math.Max(declared, 2 * reserved), _maxMessageBytes);
            _budgetNeeded = target - reserved;
        }

        _frame = header;
        InFrame = true;
        FrameRemaining = header.PayloadLength;
        _maskOffset = 0;
        return MessageError.None;
    }

    /// <summary>Takes the budget <see cref="BeginFrame"/> asked for, waiting for it if it must; false when the wait was
    /// given up (timeout, abort, shutdown).</summary>
    public ValueTask<bool> ReserveAsync()
    {
        long need = _budgetNeeded;
        _budgetNeeded = 0;
        return Reservation.ReserveAsync(need);
    }

    /// <summary>Copies, unmasks and (for text) validates the next <paramref name="chunk"/> of the current frame's payload.</summary>
    public MessageError Append(in ReadOnlySequence<byte> chunk)
    {
        int needed = _length + (int)chunk.Length;
        if (Reservation.Reserved > 0)
        {
            if (!_owned || needed > _message!.Length)
            {
                GrowOwned();
            }
        }
        else if (_message is null || needed > _message.Length)
        {
            // Grow from what has arrived, never from the declared length (a peer may declare 32 MiB and send nothing),
            // but no further than the end of the current frame.
            long frameEnd = _length + FrameRemaining;
            long target = Math.Max(needed, Math.Min(Math.Max((_message?.Length ?? 0) * 2L, 1024), frameEnd));
            byte[] bigger = ArrayPool<byte>.Shared.Rent((int)target);
            if (_message is not null)
            {
                _message.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_message);
            }

            _message = bigger;
        }

        FrameRemaining -= chunk.Length;
        bool text = _opcode == WebSocketOpcode.Text;
        foreach (var segment in chunk)
        {
            var destination = _message.AsSpan(_length, segment.Length);
            segment.Span.CopyTo(destination);
            _maskOffset = Masking.Apply(destination, _frame.MaskKey, _maskOffset);
            _length += segment.Length;
            if (text && !_utf8.TryConsume(destination))
            {
                return MessageError.InvalidUtf8;
            }
        }

        return MessageError.None;
    }

    /// <summary>The current frame's payload is all read. True with the whole message when the frame was its last;
    /// false when more fragments follow, or with <paramref name="error"/> when the message is not valid.</summary>
    public bool TryEndFrame(out WebSocketMessage message, out MessageError error)
    {
        InFrame = false;
        message = default;
        error = MessageError.None;
        if (!_frame.Fin)
        {
            return false;
        }

        if (_opcode == WebSocketOpcode.Text && !_utf8.IsComplete)
        {
            error = MessageError.TruncatedUtf8;
            return false;
        }

        message = new WebSocketMessage(_opcode, TakePayload());
        _opcode = WebSocketOpcode.Continuation;
        return true;
    }

    /// <summary>Drops the message being assembled and gives back its budget. Idempotent: the reader's end and the
    /// teardown (after an exception) both call it.</summary>
    public void Discard()
    {
        if (_message is not null && !_owned)
        {
            ArrayPool<byte>.Shared.Return(_message);
        }

        _message = null;
        _owned = false;
        Reservation.ReleaseAll();
    }

    /// <summary>Hands the complete message's bytes over; a big message's reservation travels with its array.</summary>
    private PooledBuffer TakePayload()
    {
        PooledBuffer payload = default;
        if (_message is not null)
        {
            if (_owned)
            {
                // The array is allocated at the reservation (see GrowOwned), so releasing the array releases the bytes;
                // what a fragmented message reserved beyond its array goes back now.
                payload = new PooledBuffer(_message, _length, _budget);
                Reservation.HandOver(_message.LongLength);
            }
            else
            {
                payload = new PooledBuffer(_message, _length);
            }
        }

        _message = null;
        _length = 0;
        _owned = false;
        Reservation.ReleaseAll(); // budget taken for a message that ended up with no owned array (none today)
        return payload;
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
        byte[] owned = GC.AllocateUninitializedArray<byte>(checked((int)Reservation.Reserved));
        if (_message is not null)
        {
            _message.AsSpan(0, _length).CopyTo(owned);
            if (!_owned)
            {
                ArrayPool<byte>.Shared.Return(_message);
            }
        }

        _message = owned;
        _owned = true;
    }
}
