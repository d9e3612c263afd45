using System.Text;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Conformance;

/// <summary>Autobahn section 1 (framing), 9 (sizes, scaled to the machine) and 10 (fragmentation by the server).</summary>
public class FramingTests : TransportSuite
{
    public static TheoryData<int> Sizes => [0, 1, 125, 126, 127, 128, 65535, 65536, 65537, 1 << 20];

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task TextAndBinary_AreEchoedExactly(int size)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var text = Encoding.UTF8.GetBytes(new string('*', size));
        var binary = new byte[size];
        new Random(size).NextBytes(binary);

        await client.SendFrameAsync(WebSocketOpcode.Text, text);
        await client.SendFrameAsync(WebSocketOpcode.Binary, binary);

        var echoedText = await client.ReadMessageAsync();
        Assert.Equal(WebSocketOpcode.Text, echoedText.Opcode);
        Assert.Equal(text, echoedText.Payload);
        var echoedBinary = await client.ReadMessageAsync();
        Assert.Equal(WebSocketOpcode.Binary, echoedBinary.Opcode);
        Assert.Equal(binary, echoedBinary.Payload);

        await client.SendCloseAsync(CloseCodes.Normal);
        await client.ExpectCloseAsync(CloseCodes.Normal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(997)]
    public async Task FramesArrivingInChops_AreReassembled(int chop)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var payload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Hello-µ@ßöäüàá-UTF-8!!", chop == 1 ? 5 : 300)));

        await client.SendChoppedAsync(RawWebSocketClient.BuildFrame(WebSocketOpcode.Text, payload), chop);

        Assert.Equal(payload, (await client.ReadMessageAsync()).Payload);
    }

    [Fact]
    public async Task FramesSentInTheSamePacketAsTheHandshake_AreNotLost()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.OpenAsync(server.EndPoint);
        byte[] request = [.. "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"u8,
            .. RawWebSocketClient.BuildFrame(WebSocketOpcode.Text, "eager"u8)];

        await client.SendRawAsync(request);

        Assert.Equal(101, (await client.ReadHttpResponseAsync(readBody: false)).Status);
        Assert.Equal("eager", (await client.ReadMessageAsync()).Text);
    }

    [Fact]
    public async Task ManyFramesInOneWrite_AreEachEchoedInOrder()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var batch = Enumerable.Range(0, 500).SelectMany(i => RawWebSocketClient.BuildFrame(WebSocketOpcode.Text, Encoding.UTF8.GetBytes($"message {i}"))).ToArray();

        await client.SendRawAsync(batch);

        for (int i = 0; i < 500; i++)
        {
            Assert.Equal($"message {i}", (await client.ReadMessageAsync()).Text);
        }
    }

    [Theory]
    [InlineData(4 << 20, 64)]
    [InlineData(4 << 20, 65536)]
    [InlineData(1 << 20, 1300)]
    public async Task LargeMessages_InManyFragments_AreEchoedWhole(int size, int fragment)
    {
        // Autobahn 9.x / 10.1 scaled: a large message cut into fragments of a given size.
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint, timeout: TimeSpan.FromSeconds(60));
        var payload = new byte[size];
        new Random(fragment).NextBytes(payload);
        var frames = new List<byte>();
        for (int offset = 0; offset < size; offset += fragment)
        {
            int n = Math.Min(fragment, size - offset);
            frames.AddRange(RawWebSocketClient.BuildFrame(offset == 0 ? WebSocketOpcode.Binary : WebSocketOpcode.Continuation, payload.AsSpan(offset, n), fin: offset + n == size));
        }

        await client.SendRawAsync(frames.ToArray());

        var echoed = await client.ReadMessageAsync();
        Assert.Equal(WebSocketOpcode.Binary, echoed.Opcode);
        Assert.Equal(payload, echoed.Payload);
    }
}
