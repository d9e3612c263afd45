using System.Runtime.CompilerServices;
using System.Text;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Http;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Connections;

/// <summary>
/// What an open WebSocket keeps of the HTTP request that upgraded it: nothing. Ten thousand idle connections are what
/// the server holds the longest, so its HTTP side (request loop, output, body reader, and through their state machines
/// the request head and its header strings) must be garbage once the 101 is out.
/// </summary>
public class UpgradedConnectionTests : TransportSuite
{
    [Fact]
    public async Task AnUpgradedConnection_NoLongerHoldsItsHttpSide()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await TestServer.EventuallyAsync(() => server.Server.Connections.Any(), "the server never registered the connection");
        var http = WeakHttpSide(server.Server);

        var (status, head) = await client.HandshakeAsync();
        Assert.True(status == 101, $"expected 101, got {status}:\n{head}");
        await client.SendTextAsync("hello");
        Assert.Equal("hello", Encoding.UTF8.GetString((await client.ReadMessageAsync()).Payload));

        await TestServer.EventuallyAsync(() => Collected(http), "the open WebSocket still holds the Http1Connection that upgraded it");

        // Still open and serving: what was collected was only what it no longer needs.
        Assert.IsType<WebSocketConnection>(server.Server.Connections.Single().Protocol);
        await client.SendTextAsync("again");
        Assert.Equal("again", Encoding.UTF8.GetString((await client.ReadMessageAsync()).Payload));
        await client.SendCloseAsync(CloseCodes.Normal);
        await client.ExpectCloseAsync(CloseCodes.Normal);
    }

    // Not inlined, so that no strong reference stays in the test's own state machine.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WeakHttpSide(ExaiFastServer server) => new(Assert.IsType<Http1Connection>(server.Connections.Single().Protocol));

    private static bool Collected(WeakReference reference)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return !reference.IsAlive;
    }
}
