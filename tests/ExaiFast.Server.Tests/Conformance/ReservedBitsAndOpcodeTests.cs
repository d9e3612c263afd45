using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Conformance;

/// <summary>Autobahn sections 3 (reserved bits) and 4 (opcodes), plus the masking and length rules.</summary>
public class ReservedBitsAndOpcodeTests : TransportSuite
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public async Task NonZeroRsv_FailsWith1002_AfterEchoingWhatCameBefore(byte rsv)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendTextAsync("before");
        await client.SendFrameAsync(WebSocketOpcode.Text, "bad"u8, rsv: rsv);
        await client.SendTextAsync("after");

        Assert.Equal("before", (await client.ReadMessageAsync()).Text);
        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
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
    public async Task ReservedOpcode_FailsWith1002(byte opcode)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync((WebSocketOpcode)opcode, "x"u8);

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }

    [Fact]
    public async Task UnmaskedClientFrame_FailsWith1002()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Text, "plain"u8, mask: false);

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }

    [Fact]
    public async Task SixtyFourBitLengthWithTopBit_FailsWith1002()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendRawAsync(new byte[] { 0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 });

        await client.ExpectCloseAsync(CloseCodes.ProtocolError);
    }
}
