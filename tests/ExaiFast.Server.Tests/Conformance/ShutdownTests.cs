using ExaiFast.Server.Options;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Conformance;

/// <summary>Graceful shutdown: close 1001 to every client, then the listener is gone.</summary>
public class ShutdownTests : TransportSuite
{
    [Fact]
    public async Task Stop_Sends1001ToEveryClient_WaitsForTheirClose_AndStopsListening()
    {
        var server = await StartServerAsync(new ServerOptions { DrainTimeout = TimeSpan.FromSeconds(5) });
        var endPoint = server.EndPoint;
        var clients = new List<RawWebSocketClient>();
        for (int i = 0; i < 20; i++)
        {
            clients.Add(await RawWebSocketClient.ConnectAsync(endPoint));
        }

        var stopping = server.Server.StopAsync(TestContext.Current.CancellationToken);
        foreach (var client in clients)
        {
            var close = await client.ReadFrameAsync();
            Assert.Equal(CloseCodes.GoingAway, close!.CloseCode);
            await client.SendCloseAsync(CloseCodes.GoingAway);
            Assert.True(await client.WaitForServerCloseAsync());
            await client.DisposeAsync();
        }

        await stopping;
        Assert.Equal(0, server.Server.ConnectionCount);
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => RawWebSocketClient.OpenAsync(endPoint));
        await server.DisposeAsync();
    }
}
