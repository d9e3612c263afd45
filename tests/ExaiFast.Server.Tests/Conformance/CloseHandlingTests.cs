using System.Text;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Conformance;

/// <summary>Autobahn section 7: the closing handshake and close codes.</summary>
public class CloseHandlingTests : TransportSuite
{
    public static TheoryData<int> ValidCodes => [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];

    public static TheoryData<int> InvalidCodes => [0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

    [Theory]
    [MemberData(nameof(ValidCodes))]
    public async Task ValidCode_IsEchoed_ThenTheServerClosesTcp(int code)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendCloseAsync((ushort)code, "bye");

        await client.ExpectCloseAsync((ushort)code);
    }

    [Theory]
    [MemberData(nameof(InvalidCodes))]
    public async Task InvalidCode_FailsWith1002(int code)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendCloseAsync((ushort)code);

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }

    [Fact]
    public async Task EmptyClose_GetsAnEmptyClose()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Close, []);

        await client.ExpectCloseAsync(CloseCodes.NoStatusReceived);
    }

    [Fact]
    public async Task OneByteCloseBody_FailsWith1002()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Close, [0x03]);

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }

    [Fact]
    public async Task CloseReasonWithInvalidUtf8_FailsWith1007()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Close, [0x03, 0xE8, 0xCE, 0xBA, 0xED, 0xA0, 0x80]);

        await client.ExpectCloseAsync(CloseCodes.InvalidPayload);
    }

    [Fact]
    public async Task CloseWith123ByteReason_IsAccepted()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendCloseAsync(CloseCodes.Normal, new string('r', 123));

        await client.ExpectCloseAsync(CloseCodes.Normal);
    }

    [Fact]
    public async Task FramesAfterClose_AreIgnored()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        byte[] bytes = [.. RawWebSocketClient.BuildFrame(WebSocketOpcode.Close, RawWebSocketClient.CloseBody(1000)),
            .. RawWebSocketClient.BuildFrame(WebSocketOpcode.Text, "after close"u8), .. RawWebSocketClient.BuildFrame(WebSocketOpcode.Ping, "p"u8)];

        await client.SendRawAsync(bytes);

        var frame = await client.ReadFrameAsync();
        Assert.Equal(WebSocketOpcode.Close, frame!.Opcode);
        Assert.Equal(CloseCodes.Normal, frame.CloseCode);
        Assert.Null(await client.ReadFrameAsync()); // no echo, no pong: just the end of the stream
    }

    [Fact]
    public async Task TcpClosedWithoutCloseFrame_IsCountedAs1006_AndCleanedUp()
    {
        await using var server = await StartServerAsync();
        var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        await client.SendTextAsync("hi");
        Assert.Equal("hi", (await client.ReadMessageAsync()).Text);

        await client.DisposeAsync();

        await TestServer.EventuallyAsync(() => server.Server.WebSocketCount == 0 && server.Server.ConnectionCount == 0, "connection cleanup");
        Assert.Equal(1, server.Server.Metrics.Closes.WithLabels("1006", "client").Value);
    }
}
