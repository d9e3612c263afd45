using System.Text;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Conformance;

/// <summary>Autobahn section 5: fragmentation, with control frames in between.</summary>
public class FragmentationTests : TransportSuite
{
    [Fact]
    public async Task FragmentedText_IsEchoedAsOneMessage()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Text, "frag"u8, fin: false);
        await client.SendFrameAsync(WebSocketOpcode.Continuation, "men"u8, fin: false);
        await client.SendFrameAsync(WebSocketOpcode.Continuation, "ted"u8, fin: true);

        var message = await client.ReadMessageAsync();
        Assert.Equal(WebSocketOpcode.Text, message.Opcode);
        Assert.Equal("fragmented", message.Text);
    }

    [Fact]
    public async Task PingBetweenFragments_IsAnsweredFirst_ThenTheMessageArrivesWhole()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Text, "frag"u8, fin: false);
        await client.SendFrameAsync(WebSocketOpcode.Ping, "between"u8);
        await client.SendFrameAsync(WebSocketOpcode.Continuation, "ment"u8, fin: true);

        var pong = await client.ReadFrameAsync();
        Assert.Equal(WebSocketOpcode.Pong, pong!.Opcode);
        Assert.Equal("between", pong.Text);
        Assert.Equal("fragment", (await client.ReadMessageAsync()).Text);
    }

    [Fact]
    public async Task FragmentsWithInterleavedPings_SentByteByByte_Work()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var bytes = RawWebSocketClient.BuildFrame(WebSocketOpcode.Text, "one "u8, fin: false)
            .Concat(RawWebSocketClient.BuildFrame(WebSocketOpcode.Ping, "p"u8))
            .Concat(RawWebSocketClient.BuildFrame(WebSocketOpcode.Continuation, "two"u8, fin: true)).ToArray();

        await client.SendChoppedAsync(bytes, 1);

        Assert.Equal(WebSocketOpcode.Pong, (await client.ReadFrameAsync())!.Opcode);
        Assert.Equal("one two", (await client.ReadMessageAsync()).Text);
    }

    [Fact]
    public async Task ContinuationWithoutAnOpenMessage_FailsWith1002()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Continuation, "orphan"u8, fin: true);

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }

    [Fact]
    public async Task NewDataFrameWhileAMessageIsOpen_FailsWith1002()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Text, "first"u8, fin: false);
        await client.SendFrameAsync(WebSocketOpcode.Text, "second"u8, fin: true);

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }

    [Theory]
    [InlineData(WebSocketOpcode.Ping)]
    [InlineData(WebSocketOpcode.Pong)]
    [InlineData(WebSocketOpcode.Close)]
    public async Task FragmentedControlFrame_FailsWith1002(WebSocketOpcode opcode)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(opcode, "x"u8, fin: false);

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }

    [Fact]
    public async Task EmptyFragments_AreFine()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Text, [], fin: false);
        await client.SendFrameAsync(WebSocketOpcode.Continuation, Encoding.UTF8.GetBytes("mid"), fin: false);
        await client.SendFrameAsync(WebSocketOpcode.Continuation, [], fin: true);

        Assert.Equal("mid", (await client.ReadMessageAsync()).Text);
    }
}
