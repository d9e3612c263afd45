using System.Text;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Conformance;

/// <summary>Autobahn section 6: UTF-8 in text messages, whole, fragmented, and split across TCP writes.</summary>
public class Utf8HandlingTests : TransportSuite
{
    private static readonly byte[] Kosme = [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5];

    // Valid text with an invalid sequence (a surrogate, ED A0 80) in the middle: Autobahn 6.3.1.
    private static readonly byte[] KosmeWithSurrogate = [.. Kosme, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64];

    public static TheoryData<byte[]> InvalidSequences => new()
    {
        KosmeWithSurrogate,
        new byte[] { 0xC0, 0xAF }, new byte[] { 0xE0, 0x80, 0xAF }, new byte[] { 0xF4, 0x90, 0x80, 0x80 },
        new byte[] { 0x80 }, new byte[] { 0xFE }, new byte[] { 0x41, 0xC2 }, new byte[] { 0xED, 0xBF, 0xBF },
    };

    [Fact]
    public async Task ValidUtf8_WholeAndFragmentedAtEveryByte_IsEchoed()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var text = Encoding.UTF8.GetBytes("Hello-µ@ßöäüàá-UTF-8!! κόσμε 𝄞😀");

        await client.SendFrameAsync(WebSocketOpcode.Text, text);
        Assert.Equal(text, (await client.ReadMessageAsync()).Payload);

        // One fragment per byte: every code point is split across frames.
        for (int i = 0; i < text.Length; i++)
        {
            await client.SendFrameAsync(i == 0 ? WebSocketOpcode.Text : WebSocketOpcode.Continuation, text.AsSpan(i, 1), fin: i == text.Length - 1);
        }

        Assert.Equal(text, (await client.ReadMessageAsync()).Payload);
    }

    [Theory]
    [MemberData(nameof(InvalidSequences))]
    public async Task InvalidUtf8_InOneFrame_FailsWith1007(byte[] bytes)
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Text, bytes);

        await client.ExpectCloseAsync(CloseCodes.InvalidPayload);
    }

    [Fact]
    public async Task InvalidUtf8_SplitIntoFragmentsAtEveryPosition_FailsWith1007()
    {
        for (int cut = 1; cut < KosmeWithSurrogate.Length; cut++)
        {
            await using var server = await StartServerAsync();
            await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

            await client.SendFrameAsync(WebSocketOpcode.Text, KosmeWithSurrogate.AsSpan(0, cut), fin: false);
            await client.SendFrameAsync(WebSocketOpcode.Continuation, KosmeWithSurrogate.AsSpan(cut), fin: true);

            await client.ExpectCloseAsync(CloseCodes.InvalidPayload);
        }
    }

    [Fact]
    public async Task InvalidUtf8_ArrivingByteByByte_FailsWith1007()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendChoppedAsync(RawWebSocketClient.BuildFrame(WebSocketOpcode.Text, KosmeWithSurrogate), 1);

        await client.ExpectCloseAsync(CloseCodes.InvalidPayload);
    }

    [Fact]
    public async Task InvalidUtf8_FailsFast_BeforeTheMessageIsComplete()
    {
        // Autobahn 6.4.x: the bad byte arrives in the first fragment; the message never finishes, yet the server closes.
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Text, [.. Kosme, 0xF4, 0x90], fin: false);

        await client.ExpectCloseAsync(CloseCodes.InvalidPayload);
    }

    [Fact]
    public async Task InvalidUtf8_FailsFast_InsideAFrameWhosePayloadHasNotAllArrived()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var frame = RawWebSocketClient.BuildFrame(WebSocketOpcode.Text, [.. Kosme, 0xED, 0xA0, 0x80, .. new byte[1000]]);

        await client.SendRawAsync(frame.AsMemory(0, frame.Length - 500)); // the rest of the payload never comes

        await client.ExpectCloseAsync(CloseCodes.InvalidPayload);
    }

    [Fact]
    public async Task BinaryMessages_AreNotUtf8Checked()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Binary, KosmeWithSurrogate);

        Assert.Equal(KosmeWithSurrogate, (await client.ReadMessageAsync()).Payload);
    }
}
