using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ExaiFast.Wire;

/// <summary>Parses RFC 6455 frame headers. Pure, allocation-free, thread-safe.</summary>
public static class FrameParser
{
    /// <summary>The longest possible header: 2 + 8 (64-bit length) + 4 (mask).</summary>
    public const int MaxHeaderLength = 14;

    /// <summary>Parses a header that may span several segments of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The received bytes, starting at a frame boundary.</param>
    /// <param name="fromClient">True on the server side: frames must be masked. False on a client: frames must not be.</param>
    /// <param name="header">The header, or the error when <see cref="FrameParseStatus.Invalid"/> is returned.</param>
    public static FrameParseStatus TryParseHeader(in ReadOnlySequence<byte> buffer, bool fromClient, out FrameHeader header)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= MaxHeaderLength || buffer.IsSingleSegment)
        {
            return TryParseHeader(first, fromClient, out header);
        }

        // Slow path: the header straddles segments; copy at most 14 bytes so the span parser sees them whole.
        Span<byte> scratch = stackalloc byte[MaxHeaderLength];
        int n = (int)Math.Min(buffer.Length, MaxHeaderLength);
        buffer.Slice(0, n).CopyTo(scratch);
        return TryParseHeader(scratch[..n], fromClient, out header);
    }

    /// <summary>Parses a header from contiguous bytes.</summary>
    /// <remarks>
    /// Frame layout:
    /// <code>
    ///  0                   1                   2                   3
    ///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    /// +-+-+-+-+-------+-+-------------+-------------------------------+
    /// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
    /// |I|S|S|S|  (4)  |A|     (7)     |            (16/64)            |
    /// |N|V|V|V|       |S|             |  (if payload len==126/127)    |
    /// | |1|2|3|       |K|             |                               |
    /// +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
    /// |     Extended payload length continued, if payload len == 127  |
    /// + - - - - - - - - - - - - - - - +-------------------------------+
    /// |                               | Masking-key, if MASK set to 1 |
    /// +-------------------------------+-------------------------------+
    /// </code>
    /// Checks run in wire order so the first broken rule is the one reported; none allocates.
    /// </remarks>
    public static FrameParseStatus TryParseHeader(ReadOnlySpan<byte> span, bool fromClient, out FrameHeader header)
    {
        if (span.Length < 2)
        {
            header = default;
            return FrameParseStatus.Incomplete;
        }

        byte b0 = span[0];
        byte b1 = span[1];
        bool fin = (b0 & 0x80) != 0;
        var opcode = (WebSocketOpcode)(b0 & 0x0F);
        bool masked = (b1 & 0x80) != 0;
        int len7 = b1 & 0x7F;

        if ((b0 & 0x70) != 0)
        {
            return Fail(FrameError.ReservedBitsSet, out header);
        }

        if (!IsKnownOpcode(opcode))
        {
            return Fail(FrameError.UnknownOpcode, out header);
        }

        if (((byte)opcode & 0x8) != 0)
        {
            if (!fin)
            {
                return Fail(FrameError.FragmentedControlFrame, out header);
            }

            if (len7 > 125)
            {
                return Fail(FrameError.ControlFrameTooLong, out header);
            }
        }

        if (masked != fromClient)
        {
            return Fail(fromClient ? FrameError.UnmaskedClientFrame : FrameError.MaskedServerFrame, out header);
        }

        int headerLength = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (span.Length < headerLength)
        {
            // The length bytes may already show an overflow; report it without waiting for the mask.
            if (len7 == 127 && span.Length >= 3 && (span[2] & 0x80) != 0)
            {
                return Fail(FrameError.LengthOverflow, out header);
            }

            header = default;
            return FrameParseStatus.Incomplete;
        }

        long length = len7;
        int offset = 2;
        if (len7 == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
            offset = 4;
        }
        else if (len7 == 127)
        {
            ulong l = BinaryPrimitives.ReadUInt64BigEndian(span[2..]);
            if ((l & 0x8000_0000_0000_0000UL) != 0)
            {
                return Fail(FrameError.LengthOverflow, out header);
            }

            length = (long)l;
            offset = 10;
        }

        int mask = masked ? BinaryPrimitives.ReadInt32LittleEndian(span[offset..]) : 0;
        header = new FrameHeader(fin, opcode, masked, length, mask, headerLength);
        return FrameParseStatus.Done;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsKnownOpcode(WebSocketOpcode op) => op <= WebSocketOpcode.Binary || (op >= WebSocketOpcode.Close && op <= WebSocketOpcode.Pong);

    private static FrameParseStatus Fail(FrameError error, out FrameHeader header)
    {
        header = new FrameHeader(false, default, false, 0, 0, 0, error);
        return FrameParseStatus.Invalid;
    }
}
