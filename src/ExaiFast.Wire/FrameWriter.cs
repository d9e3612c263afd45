using System.Buffers.Binary;

namespace ExaiFast.Wire;

/// <summary>Writes RFC 6455 frame headers. Pure, allocation-free, thread-safe.</summary>
public static class FrameWriter
{
    /// <summary>The header length for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int GetHeaderLength(long payloadLength, bool masked) =>
        (payloadLength < 126 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + (masked ? 4 : 0);

    /// <summary>Writes a frame header into <paramref name="destination"/> and returns its length.</summary>
    /// <param name="destination">At least <see cref="GetHeaderLength"/> bytes.</param>
    /// <param name="opcode">The frame's opcode.</param>
    /// <param name="fin">Whether this is the final fragment.</param>
    /// <param name="payloadLength">The payload length.</param>
    /// <param name="maskKey">When not null, the mask bit is set and these four bytes (memory order) follow.
    /// Servers never mask (RFC 6455 §5.1); clients always do.</param>
    public static int WriteHeader(Span<byte> destination, WebSocketOpcode opcode, bool fin, long payloadLength, int? maskKey = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        byte maskBit = maskKey.HasValue ? (byte)0x80 : (byte)0;
        destination[0] = (byte)((fin ? 0x80 : 0) | (byte)opcode);
        int offset;
        if (payloadLength < 126)
        {
            destination[1] = (byte)(maskBit | payloadLength);
            offset = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            offset = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
            offset = 10;
        }

        if (maskKey is int key)
        {
            BinaryPrimitives.WriteInt32LittleEndian(destination[offset..], key);
            offset += 4;
        }

        return offset;
    }

    /// <summary>Writes a close frame body (status code, then UTF-8 reason) and returns its length.</summary>
    /// <param name="destination">At least 125 bytes.</param>
    /// <param name="code">The status code.</param>
    /// <param name="reason">An ASCII/UTF-8 reason; truncated so the body stays within 125 bytes.</param>
    public static int WriteCloseBody(Span<byte> destination, ushort code, ReadOnlySpan<char> reason)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, code);
        int max = Math.Min(destination.Length, 125) - 2;
        int written = 0;
        foreach (char c in reason)
        {
            // Reasons are ours, never the peer's: keep them ASCII so truncation can't split a code point.
            if (written == max)
            {
                break;
            }

            destination[2 + written++] = c < 0x80 ? (byte)c : (byte)'?';
        }

        return 2 + written;
    }
}
