using System.Buffers;

namespace ExaiFast.Wire.Tests;

/// <summary>Builds a <see cref="ReadOnlySequence{T}"/> whose segments break at chosen offsets.</summary>
internal sealed class SegmentedSequence : ReadOnlySequenceSegment<byte>
{
    private SegmentedSequence(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Splits <paramref name="data"/> at each of <paramref name="cuts"/> (ascending offsets).</summary>
    public static ReadOnlySequence<byte> Create(byte[] data, params int[] cuts)
    {
        var bounds = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().Append(data.Length).ToArray();
        int start = 0;
        SegmentedSequence? first = null, last = null;
        foreach (int end in bounds)
        {
            var segment = new SegmentedSequence(data.AsMemory(start, end - start), start);
            if (first is null)
            {
                first = segment;
            }
            else
            {
                last!.Next = segment;
            }

            last = segment;
            start = end;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    /// <summary>One segment per byte.</summary>
    public static ReadOnlySequence<byte> ByteByByte(byte[] data) => Create(data, Enumerable.Range(1, Math.Max(0, data.Length - 1)).ToArray());
}
