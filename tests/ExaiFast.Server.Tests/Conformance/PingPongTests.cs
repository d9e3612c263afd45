using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Conformance;

/// <summary>Autobahn section 2: pings and pongs.</summary>
public class PingPongTests : TransportSuite
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(125)]
    public async Task Ping_IsAnsweredWithAPongCarryingTheSamePayload(int size)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var payload = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();

        await client.SendFrameAsync(WebSocketOpcode.Ping, payload);

        var pong = await client.ReadFrameAsync();
        Assert.Equal(WebSocketOpcode.Pong, pong!.Opcode);
        Assert.Equal(payload, pong.Payload);
    }

    [Fact]
    public async Task PingWith126Bytes_FailsWith1002()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Ping, new byte[126]);

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }

    [Fact]
    public async Task UnsolicitedPong_IsIgnored()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Pong, "unsolicited"u8);
        await client.SendTextAsync("after");

        Assert.Equal("after", (await client.ReadMessageAsync()).Text);
    }

    [Fact]
    public async Task TenPings_GetTenPongs_InOrder_EvenSentByteByByte()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var pings = Enumerable.Range(0, 10).SelectMany(i => RawWebSocketClient.BuildFrame(WebSocketOpcode.Ping, [(byte)i])).ToArray();

        await client.SendChoppedAsync(pings, 1);

        for (int i = 0; i < 10; i++)
        {
            var pong = await client.ReadFrameAsync();
            Assert.Equal(WebSocketOpcode.Pong, pong!.Opcode);
            Assert.Equal([(byte)i], pong.Payload);
        }
    }
}
