using System.Numerics;
using System.Runtime.InteropServices;

namespace ExaiFast.Wire;

/// <summary>XOR masking of payloads (RFC 6455 §5.3), vectorised.</summary>
public static class Masking
{
    /// <summary>
    /// Masks or unmasks <paramref name="data"/> in place with <paramref name="maskKey"/>, starting at byte
    /// <paramref name="maskOffset"/> (0–3) of the key, and returns the key offset for the next chunk of the
    /// same frame, so a payload that arrives in pieces is unmasked piece by piece.
    /// </summary>
    /// <param name="data">The bytes to transform.</param>
    /// <param name="maskKey">The four key bytes in memory order, as in <see cref="FrameHeader.MaskKey"/>.</param>
    /// <param name="maskOffset">Index of the key byte that applies to <c>data[0]</c>.</param>
    public static int Apply(Span<byte> data, int maskKey, int maskOffset)
    {
        if (data.IsEmpty)
        {
            return maskOffset;
        }

        // Rotate the key so that its first byte in memory applies to data[0] (little-endian: byte i is bits 8i..).
        uint key = BitOperations.RotateRight((uint)maskKey, (maskOffset & 3) * 8);
        if (!BitConverter.IsLittleEndian)
        {
            key = BitOperations.RotateLeft((uint)maskKey, (maskOffset & 3) * 8);
        }

        int i = 0;
        if (Vector.IsHardwareAccelerated && data.Length >= Vector<byte>.Count)
        {
            // Vector<byte>.Count is a multiple of 4, so the key stays aligned from vector to vector.
            var keyVector = new Vector<uint>(key).As<uint, byte>();
            Span<Vector<byte>> vectors = MemoryMarshal.Cast<byte, Vector<byte>>(data);
            for (int v = 0; v < vectors.Length; v++)
            {
                vectors[v] ^= keyVector;
            }

            i = vectors.Length * Vector<byte>.Count;
        }

        Span<uint> words = MemoryMarshal.Cast<byte, uint>(data[i..]);
        for (int w = 0; w < words.Length; w++)
        {
            words[w] ^= key;
        }

        i += words.Length * 4;
        for (int k = 0; i < data.Length; i++, k++)
        {
            data[i] ^= (byte)(key >> (8 * k));
        }

        return (maskOffset + data.Length) & 3;
    }
}
