using ExaiFast.Server.Options;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Conformance;

/// <summary>Message size limit (1009), connection limits (503 at accept), handshake, ping and close timeouts.</summary>
public class LimitsAndTimeoutsTests : TransportSuite
{
    [Fact]
    public async Task DeclaredLengthOverTheLimit_Closes1009_WithoutWaitingForThePayload()
    {
        await using var server = await StartServerAsync(new ServerOptions { MaxMessageBytes = 64 * 1024 });
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        // Header only: a 1 GiB binary frame. Nothing of it is sent, nothing may be allocated for it.
        var header = new byte[14];
        int n = FrameWriter.WriteHeader(header, WebSocketOpcode.Binary, fin: true, 1L << 30, maskKey: 0x01020304);
        await client.SendRawAsync(header.AsMemory(0, n));

        await client.ExpectCloseAsync(CloseCodes.MessageTooBig);
    }

    [Fact]
    public async Task FragmentsAddingUpPastTheLimit_Close1009()
    {
        await using var server = await StartServerAsync(new ServerOptions { MaxMessageBytes = 64 * 1024 });
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Binary, new byte[40 * 1024], fin: false);
        await client.SendFrameAsync(WebSocketOpcode.Continuation, new byte[40 * 1024], fin: true);

        await client.ExpectCloseAsync(CloseCodes.MessageTooBig);
    }

    [Fact]
    public async Task MessageExactlyAtTheLimit_IsAccepted()
    {
        await using var server = await StartServerAsync(new ServerOptions { MaxMessageBytes = 64 * 1024 });
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        await client.SendFrameAsync(WebSocketOpcode.Binary, new byte[64 * 1024]);

        Assert.Equal(64 * 1024, (await client.ReadMessageAsync()).Payload.Length);
    }

    // Connections are counted from accept, so one past a limit is refused before its head is read: 503 and closed, not
    // 101 and then close 1008 (which would let refused sockets hold the server uncounted).
    [Fact]
    public async Task ConnectionsPerIpOverTheLimit_Get503AndAreClosed_AndTheOthersKeepWorking()
    {
        await using var server = await StartServerAsync(new ServerOptions { MaxConnectionsPerIp = 2 });
        await using var first = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        await using var second = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        await using var third = await RawWebSocketClient.OpenAsync(server.EndPoint);

        var (status, head) = await third.HandshakeAsync();
        Assert.True(status == 503, $"a third connection from the address must get 503, got {status}:\n{head}");
        Assert.Contains("Connection: close", head);
        Assert.True(await third.WaitForServerCloseAsync(), "refused connection not closed");
        await first.SendTextAsync("still here");
        Assert.Equal("still here", (await first.ReadMessageAsync()).Text);
        Assert.Equal(1, server.Server.Metrics.ConnectionsRefused.WithLabels("max_connections_per_ip").Value);

        // A freed slot can be used again.
        await second.SendCloseAsync(CloseCodes.Normal);
        await second.ExpectCloseAsync(CloseCodes.Normal);
        await TestServer.EventuallyAsync(() => server.Server.WebSocketCount == 1, "slot released");
        await using var fourth = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        await fourth.SendTextAsync("admitted");
        Assert.Equal("admitted", (await fourth.ReadMessageAsync()).Text);
    }

    [Fact]
    public async Task TotalConnectionsOverTheLimit_Get503AndAreClosed()
    {
        await using var server = await StartServerAsync(new ServerOptions { MaxConnections = 1 });
        await using var first = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        await using var second = await RawWebSocketClient.OpenAsync(server.EndPoint);

        Assert.Equal(503, (await second.HandshakeAsync()).Status);
        Assert.True(await second.WaitForServerCloseAsync(), "refused connection not closed");
        Assert.Equal(1, server.Server.Metrics.ConnectionsRefused.WithLabels("max_connections").Value);
    }

    [Fact]
    public async Task SlowlorisHead_IsDroppedAtTheHandshakeTimeout()
    {
        await using var server = await StartServerAsync(new ServerOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        await using var client = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await client.SendRawAsync("GET / HTTP/1.1\r\nHost: x\r\n"u8.ToArray()); // and never finish

        Assert.True(await client.WaitForServerCloseAsync(), "server kept a half-sent head open");
        Assert.Equal(1, server.Server.Metrics.Timeouts.WithLabels("handshake").Value);
    }

    [Fact]
    public async Task SilentPeer_IsPinged_ThenClosedWith1001()
    {
        var options = new ServerOptions { PingInterval = TimeSpan.FromMilliseconds(200), PingTimeout = TimeSpan.FromMilliseconds(200) };
        await using var server = await StartServerAsync(options);
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        var ping = await client.ReadFrameAsync(); // we say nothing and don't answer
        Assert.Equal(WebSocketOpcode.Ping, ping!.Opcode);
        await client.ExpectCloseAsync(CloseCodes.GoingAway);
        Assert.Equal(1, server.Server.Metrics.Timeouts.WithLabels("ping").Value);
    }

    [Fact]
    public async Task PeerThatAnswersPings_StaysConnected()
    {
        // Pongs must reset the clock: 20 pings 100 ms apart span twice the ping timeout, so a server that ignored the
        // pongs would close during the loop; a whole second per pong keeps a slow test machine from being that server.
        var options = new ServerOptions { PingInterval = TimeSpan.FromMilliseconds(100), PingTimeout = TimeSpan.FromSeconds(1) };
        await using var server = await StartServerAsync(options);
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        for (int i = 0; i < 20; i++)
        {
            var ping = await client.ReadFrameAsync();
            Assert.Equal(WebSocketOpcode.Ping, ping!.Opcode);
            await client.SendFrameAsync(WebSocketOpcode.Pong, ping.Payload);
        }

        await client.SendTextAsync("alive");
        Assert.Equal("alive", (await client.ReadMessageAsync()).Text);
    }

    [Fact]
    public async Task PeerThatNeverAnswersOurClose_IsAbortedAtTheCloseTimeout()
    {
        // The drain deadline is far beyond the close timeout, so only the close timeout can end this stop in time.
        var options = new ServerOptions { CloseTimeout = TimeSpan.FromMilliseconds(200), DrainTimeout = TimeSpan.FromSeconds(30) };
        var server = await StartServerAsync(options);
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        var stop = server.Server.StopAsync(TestContext.Current.CancellationToken); // sends 1001, waits for our close

        var close = await client.ReadFrameAsync();
        Assert.Equal(CloseCodes.GoingAway, close!.CloseCode);
        Assert.True(await client.WaitForServerCloseAsync());
        Assert.True(await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken)) == stop,
            "stop still waiting 15 s after a 200 ms close timeout: the close timeout did not end the connection");
        Assert.Equal(0, server.Server.ConnectionCount);
        Assert.Equal(1, server.Server.Metrics.Timeouts.WithLabels("close").Value);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ProtocolError_PeerThatNeverAnswersTheClose_IsDroppedAfterTheCloseTimeout()
    {
        // Outside shutdown. Ping and handshake timeouts are far away: only the close timeout may end this connection.
        var closeTimeout = TimeSpan.FromSeconds(2);
        var options = new ServerOptions { CloseTimeout = closeTimeout, PingInterval = TimeSpan.FromMinutes(5), PingTimeout = TimeSpan.FromMinutes(5) };
        await using var server = await StartServerAsync(options);
        await using var client = await RawWebSocketClient.ConnectAsync(server.EndPoint, timeout: TimeSpan.FromSeconds(60));

        await client.SendFrameAsync(WebSocketOpcode.Text, "unmasked"u8, mask: false); // fails the connection: close 1002
        var close = await client.ReadFrameAsync();
        var sinceClose = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(close is { Opcode: WebSocketOpcode.Close, CloseCode: CloseCodes.ProtocolError }, $"expected close 1002, got {close?.Opcode} {close?.CloseCode}");

        // We never send our close frame nor our FIN: the server lingers, reading, until its close deadline.
        await TestServer.EventuallyAsync(() => server.Server.ConnectionCount == 0,
            "the connection dropped by the close timeout (2 s) within 10 s", timeoutMs: 10_000);
        var elapsed = sinceClose.Elapsed;

        Assert.True(elapsed >= closeTimeout / 2, $"dropped {elapsed.TotalMilliseconds:F0} ms after the close: it did not wait for the peer's close");
        Assert.Equal(1, server.Server.Metrics.Timeouts.WithLabels("close").Value);
        Assert.Equal(0, server.Server.Metrics.Timeouts.WithLabels("ping").Value);
    }
}
