using System.Text.Unicode;

namespace ExaiFast.Wire;

/// <summary>
/// Incremental UTF-8 validation across fragments and read boundaries (RFC 6455 §8.1, Autobahn section 6).
/// </summary>
/// <remarks>
/// Complete code points go through the BCL's vectorised <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>; only the
/// up to three bytes of a sequence cut by a chunk boundary go through the byte-wise state machine, which checks
/// each continuation against the range its lead byte allows (so <c>F4 90</c> fails at the <c>90</c>, before the
/// sequence is complete: fail fast). A mutable struct: keep it in a field, never copy it. Not thread-safe.
/// </remarks>
public struct Utf8Validator
{
    private byte _needed;
    private byte _low;
    private byte _high;

    /// <summary>True when no multi-byte sequence is open, i.e. the bytes seen so far end on a code point boundary.</summary>
    public readonly bool IsComplete => _needed == 0;

    /// <summary>Forgets any open sequence (start of a new message).</summary>
    public void Reset() => this = default;

    /// <summary>Validates the next chunk. Returns false at the first byte that can't be part of valid UTF-8.</summary>
    public bool TryConsume(ReadOnlySpan<byte> data)
    {
        int i = 0;
        while (_needed != 0)
        {
            if (i == data.Length)
            {
                return true;
            }

            if (!Step(data[i++]))
            {
                return false;
            }
        }

        ReadOnlySpan<byte> rest = data[i..];
        int tailStart = FindIncompleteTail(rest);
        if (!Utf8.IsValid(rest[..tailStart]))
        {
            return false;
        }

        foreach (byte b in rest[tailStart..])
        {
            if (!Step(b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Validates a whole message at once.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Utf8.IsValid(data);

    // Index where a trailing, not yet complete multi-byte sequence starts (or data.Length if there is none).
    private static int FindIncompleteTail(ReadOnlySpan<byte> data)
    {
        int stop = Math.Max(0, data.Length - 3);
        for (int k = data.Length - 1; k >= stop; k--)
        {
            byte b = data[k];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            int length = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            return k + length > data.Length ? k : data.Length;
        }

        return data.Length;
    }

    private bool Step(byte b)
    {
        if (_needed == 0)
        {
            if (b < 0x80)
            {
                return true;
            }

            if (b < 0xC2)
            {
                return false; // continuation byte without a lead, or an overlong 2-byte lead
            }

            if (b < 0xE0)
            {
                Open(1, 0x80, 0xBF);
            }
            else if (b < 0xF0)
            {
                Open(2, b == 0xE0 ? (byte)0xA0 : (byte)0x80, b == 0xED ? (byte)0x9F : (byte)0xBF); // overlong / surrogates
            }
            else if (b < 0xF5)
            {
                Open(3, b == 0xF0 ? (byte)0x90 : (byte)0x80, b == 0xF4 ? (byte)0x8F : (byte)0xBF); // overlong / > U+10FFFF
            }
            else
            {
                return false;
            }

            return true;
        }

        if (b < _low || b > _high)
        {
            return false;
        }

        Open((byte)(_needed - 1), 0x80, 0xBF);
        return true;
    }

    private void Open(byte needed, byte low, byte high)
    {
        _needed = needed;
        _low = low;
        _high = high;
    }
}
