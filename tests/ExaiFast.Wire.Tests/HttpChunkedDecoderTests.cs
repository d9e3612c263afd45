using System.Buffers;
using System.Text;
using ExaiFast.Wire.Http;

namespace ExaiFast.Wire.Tests;

public class HttpChunkedDecoderTests
{
    private const string Body = "5;a=b;flag;q=\"x \\\" y\"\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: v\r\n\r\nNEXT";

    [Fact]
    public void DecodesExtensionsAndTrailers_FedWhole_ByteByByte_AndInSmallIncrements()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(Body);
        foreach (int step in new[] { bytes.Length, 1, 2, 3, 7 })
        {
            var (status, data, rest) = Feed(bytes, step, max: 1024);
            Assert.Equal(HttpChunkedStatus.Done, status);
            Assert.Equal("hello world", data);
            Assert.Equal("NEXT", rest); // what follows the body is left for the next request
        }
    }

    [Theory]
    [InlineData("zz\r\n")]
    [InlineData("5 x\r\nhello\r\n")]
    [InlineData("5;\r\nhello\r\n")]
    [InlineData("5;a=\r\nhello\r\n")]
    [InlineData("5\nhello\r\n")]
    [InlineData("5\r\nhelloAB")]
    [InlineData("5\r\nhello\r\n0\r\nno colon\r\n\r\n")]
    [InlineData("1000000000000000\r\n")]
    [InlineData("5\r\r\nhello\r\n")]
    public void MalformedFraming_IsABadRequest_WhicheverWayItIsFed(string body)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(body);
        foreach (int step in new[] { bytes.Length, 1 })
        {
            Assert.Equal(HttpChunkedStatus.BadRequest, Feed(bytes, step, max: long.MaxValue / 2).Status);
        }
    }

    [Fact]
    public void AChunkSizePassingTheLimit_IsTooLarge_BeforeItsData()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("400\r\n" + new string('a', 1024) + "\r\n1\r\n");
        Assert.Equal(HttpChunkedStatus.TooLarge, Feed(bytes, bytes.Length, max: 1024).Status);
    }

    private static (HttpChunkedStatus Status, string Data, string Remainder) Feed(byte[] bytes, int step, long max)
    {
        var decoder = new HttpChunkedDecoder();
        var output = new ArrayBufferWriter<byte>();
        int start = 0;
        int available = 0;
        while (true)
        {
            available = Math.Min(bytes.Length, available + step);
            var buffer = new ReadOnlySequence<byte>(bytes, start, available - start);
            var status = decoder.Decode(buffer, output, max, 8192, out var consumed, out _);
            start += (int)buffer.Slice(0, consumed).Length;
            if (status != HttpChunkedStatus.NeedMoreData || available == bytes.Length)
            {
                return (status, Encoding.ASCII.GetString(output.WrittenSpan), Encoding.ASCII.GetString(bytes, start, bytes.Length - start));
            }
        }
    }
}
