using System.Net.WebSockets;
using ExaiFast.Server.Tests.Infrastructure;

namespace ExaiFast.Server.Tests.Interop;

/// <summary>The BCL's ClientWebSocket (an independent RFC 6455 implementation) against the server.</summary>
public class ClientWebSocketInteropTests : TransportSuite
{
    public static TheoryData<int, bool> Cases()
    {
        var data = new TheoryData<int, bool>();
        foreach (int size in new[] { 0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20 })
        {
            data.Add(size, false);
            data.Add(size, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Messages_AreEchoed_WholeAndFragmented(int size, bool fragmented)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.WebSocketUri, ct);
        var payload = new byte[size];
        new Random(size).NextBytes(payload);

        foreach (var type in new[] { WebSocketMessageType.Binary, WebSocketMessageType.Text })
        {
            var bytes = type == WebSocketMessageType.Text ? payload.Select(b => (byte)('a' + (b % 26))).ToArray() : payload;
            await SendAsync(client, bytes, type, fragmented, ct);
            var (echoType, echoed) = await ReceiveAsync(client, ct);
            Assert.Equal(type, echoType);
            Assert.Equal(bytes, echoed);
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task ServerInitiatedClose_IsSeenAsGoingAway()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await StartServerAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.WebSocketUri, ct);

        var stopping = server.Server.StopAsync(ct);
        var result = await client.ReceiveAsync(new byte[16], ct);

        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus); // 1001
        await client.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, null, ct);
        await stopping;
        await server.DisposeAsync();
    }

    private static async Task SendAsync(ClientWebSocket client, byte[] bytes, WebSocketMessageType type, bool fragmented, CancellationToken ct)
    {
        if (!fragmented || bytes.Length < 2)
        {
            await client.SendAsync(bytes, type, endOfMessage: true, ct);
            return;
        }

        int step = Math.Max(1, bytes.Length / 5);
        for (int offset = 0; offset < bytes.Length; offset += step)
        {
            int n = Math.Min(step, bytes.Length - offset);
            await client.SendAsync(bytes.AsMemory(offset, n), type, endOfMessage: offset + n == bytes.Length, ct);
        }
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket client, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await client.ReceiveAsync(buffer.AsMemory(), ct);
            ms.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, ms.ToArray());
            }
        }
    }
}
