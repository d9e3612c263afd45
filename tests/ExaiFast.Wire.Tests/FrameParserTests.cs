using System.Buffers;

namespace ExaiFast.Wire.Tests;

public class FrameParserTests
{
    private const int Mask = 0x44332211;

    public static TheoryData<long> Lengths => [0, 1, 125, 126, 127, 65535, 65536, 1L << 32, long.MaxValue];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RoundTrip_EveryLengthEncoding_ParsesWhatWasWritten(long length)
    {
        var buffer = new byte[FrameParser.MaxHeaderLength];
        int n = FrameWriter.WriteHeader(buffer, WebSocketOpcode.Binary, fin: true, length, Mask);
        Assert.Equal(FrameWriter.GetHeaderLength(length, masked: true), n);

        var status = FrameParser.TryParseHeader(buffer.AsSpan(0, n), fromClient: true, out var header);

        Assert.Equal(FrameParseStatus.Done, status);
        Assert.Equal(new FrameHeader(true, WebSocketOpcode.Binary, true, length, Mask, n), header);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EveryPrefixShorterThanTheHeader_IsIncomplete_AndEverySegmentationParses(long length)
    {
        var buffer = new byte[FrameParser.MaxHeaderLength];
        int n = FrameWriter.WriteHeader(buffer, WebSocketOpcode.Text, fin: false, length, Mask);
        var exact = buffer.AsSpan(0, n).ToArray();
        for (int prefix = 0; prefix < n; prefix++)
        {
            Assert.Equal(FrameParseStatus.Incomplete, FrameParser.TryParseHeader(exact.AsSpan(0, prefix), true, out _));
            Assert.Equal(FrameParseStatus.Incomplete, FrameParser.TryParseHeader(SegmentedSequence.ByteByByte(exact[..prefix]), true, out _));
        }

        Assert.Equal(FrameParseStatus.Done, FrameParser.TryParseHeader(SegmentedSequence.ByteByByte(exact), true, out var h1));
        Assert.Equal(length, h1.PayloadLength);
        for (int cut = 1; cut < n; cut++)
        {
            Assert.Equal(FrameParseStatus.Done, FrameParser.TryParseHeader(SegmentedSequence.Create(exact, cut), true, out var h2));
            Assert.Equal(h1, h2);
        }
    }

    [Theory]
    [InlineData(0x10, FrameError.ReservedBitsSet)]
    [InlineData(0x20, FrameError.ReservedBitsSet)]
    [InlineData(0x40, FrameError.ReservedBitsSet)]
    [InlineData(0x70, FrameError.ReservedBitsSet)]
    public void ReservedBits_AreRejected(byte rsv, FrameError expected)
    {
        byte[] frame = [(byte)(0x81 | rsv), 0x80, 1, 2, 3, 4];
        Assert.Equal(FrameParseStatus.Invalid, FrameParser.TryParseHeader(frame, true, out var header));
        Assert.Equal(expected, header.Error);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    public void ReservedOpcodes_AreRejected(byte opcode)
    {
        byte[] frame = [(byte)(0x80 | opcode), 0x80, 1, 2, 3, 4];
        Assert.Equal(FrameParseStatus.Invalid, FrameParser.TryParseHeader(frame, true, out var header));
        Assert.Equal(FrameError.UnknownOpcode, header.Error);
    }

    [Theory]
    [InlineData(WebSocketOpcode.Ping)]
    [InlineData(WebSocketOpcode.Pong)]
    [InlineData(WebSocketOpcode.Close)]
    public void ControlFrames_MustBeFinal_AndAtMost125Bytes(WebSocketOpcode opcode)
    {
        byte[] notFinal = [(byte)opcode, 0x80, 1, 2, 3, 4];
        Assert.Equal(FrameParseStatus.Invalid, FrameParser.TryParseHeader(notFinal, true, out var h1));
        Assert.Equal(FrameError.FragmentedControlFrame, h1.Error);

        byte[] tooLong = [(byte)(0x80 | (byte)opcode), 0x80 | 126, 0, 126, 1, 2, 3, 4];
        Assert.Equal(FrameParseStatus.Invalid, FrameParser.TryParseHeader(tooLong, true, out var h2));
        Assert.Equal(FrameError.ControlFrameTooLong, h2.Error);

        byte[] max = [(byte)(0x80 | (byte)opcode), 0x80 | 125, 1, 2, 3, 4];
        Assert.Equal(FrameParseStatus.Done, FrameParser.TryParseHeader(max, true, out var h3));
        Assert.True(h3.IsControl);
    }

    [Fact]
    public void MaskBit_MustMatchTheSide()
    {
        Assert.Equal(FrameError.UnmaskedClientFrame, Parse([0x81, 0x00], fromClient: true).Error);
        Assert.Equal(FrameError.MaskedServerFrame, Parse([0x81, 0x80, 1, 2, 3, 4], fromClient: false).Error);
        Assert.Equal(FrameParseStatus.Done, FrameParser.TryParseHeader([0x81, 0x05], fromClient: false, out _));
    }

    [Fact]
    public void SixtyFourBitLength_WithTopBitSet_IsRejected_EvenBeforeTheMaskArrives()
    {
        byte[] full = [0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
        Assert.Equal(FrameError.LengthOverflow, Parse(full, true).Error);
        Assert.Equal(FrameParseStatus.Invalid, FrameParser.TryParseHeader(full.AsSpan(0, 3), true, out _));
    }

    private static FrameHeader Parse(byte[] bytes, bool fromClient)
    {
        FrameParser.TryParseHeader(new ReadOnlySequence<byte>(bytes), fromClient, out var header);
        return header;
    }
}
