using System.Net;
using System.Net.Sockets;
using System.Text;
using ExaiFast.Server.Options;
using ExaiFast.Server.Tests.Infrastructure;

namespace ExaiFast.Server.Tests.Http;

/// <summary>Endpoints over time: event streams, RequestAborted, failing endpoints, keep-alive idle, slowloris, connection floods.</summary>
public class HttpEndpointLifecycleTests : TransportSuite
{
    private readonly TestEndpoints _endpoints = new();

    private Task<TestServer> StartAsync(ServerOptions? options = null) => StartServerAsync(options, endpoints: _endpoints.Table);

    [Fact]
    public async Task EventStream_DeliversEventsAsChunks_ThenTheConnectionServesTheNextRequest()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("GET /stream?n=3&delay=20 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var head = await raw.ReadHttpResponseAsync(readBody: false);
        Assert.Equal(200, head.Status);
        Assert.Contains("Content-Type: text/event-stream\r\n", head.Head);
        Assert.Contains("Cache-Control: no-store\r\n", head.Head);
        Assert.Contains("Transfer-Encoding: chunked\r\n", head.Head);
        Assert.Contains("X-Stream: yes\r\n", head.Head);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal($"id: {i}\ndata: {{\"i\":{i}}}\n\n", await raw.ReadChunkAsync());
        }

        Assert.Null(await raw.ReadChunkAsync());
        await raw.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, (await raw.ReadHttpResponseAsync()).Status);
    }

    [Fact]
    public async Task IdleEventStream_GetsKeepAliveComments()
    {
        await using var server = await StartAsync(new ServerOptions { EventStreamKeepAlive = TimeSpan.FromMilliseconds(100) });
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("GET /stream?n=1&hold=1500 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, (await raw.ReadHttpResponseAsync(readBody: false)).Status);
        int comments = 0;
        string? chunk;
        while ((chunk = await raw.ReadChunkAsync()) == ": keep-alive\n\n")
        {
            comments++;
        }

        Assert.True(comments >= 1, "no keep-alive comment during 1.5 s of silence with a 100 ms interval");
        Assert.Equal("id: 0\ndata: {\"i\":0}\n\n", chunk);

        // A heartbeat may still fall between the last event and the end of the stream (seen at a load average of 40).
        while ((chunk = await raw.ReadChunkAsync()) == ": keep-alive\n\n")
        {
        }

        Assert.Null(chunk);
    }

    [Fact]
    public async Task EventStreamToAPeerThatStopsReading_IsCutAtTheKeepAliveTimeout()
    {
        // The response's flush waits for a peer that reads nothing: past the keep-alive timeout the connection is aborted
        // (a "write" timeout), the endpoint sees RequestAborted, and the connection goes.
        await using var server = await StartAsync(new ServerOptions { KeepAliveTimeout = TimeSpan.FromMilliseconds(500) });
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint, receiveBufferSize: 4096);

        await raw.SendRawAsync("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        await TestServer.EventuallyAsync(() => server.Server.Metrics.Timeouts.WithLabels("write").Value == 1, "the stalled write cut", timeoutMs: 30_000);
        await TestServer.EventuallyAsync(() => server.Server.ConnectionCount == 0, "the stalled connection torn down", timeoutMs: 30_000);
    }

    [Fact]
    public async Task RequestAborted_FiresWhenTheClientClosesMidRequest()
    {
        await using var server = await StartAsync();
        var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await raw.SendRawAsync("POST /wait-abort HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"u8.ToArray());
        await _endpoints.Serving.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        await raw.DisposeAsync();

        await _endpoints.Aborted.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await TestServer.EventuallyAsync(() => server.Server.ConnectionCount == 0, "the aborted connection torn down");
    }

    [Fact]
    public async Task AtShutdown_ARequestBeingServedFinishes_SayingConnectionClose_WhileAnIdleConnectionClosesAtOnce()
    {
        // A drain deadline far beyond the test: only the endpoint's own end can end this request.
        var server = await StartAsync(new ServerOptions { DrainTimeout = TimeSpan.FromMinutes(10), CloseTimeout = TimeSpan.FromSeconds(5) });
        await using var idle = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await idle.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, (await idle.ReadHttpResponseAsync()).Status); // kept alive, now idle
        await using var busy = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await busy.SendRawAsync("GET /gate HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        await _endpoints.Serving.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var stopping = server.Server.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(await idle.WaitForServerCloseAsync(), "the idle keep-alive connection was not closed at shutdown");
        Assert.False(stopping.IsCompleted, "the stop ended while a request was still being served");

        _endpoints.Gate.SetResult();
        var response = await busy.ReadHttpResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("done", response.Body);
        Assert.Contains("Connection: close\r\n", response.Head);
        Assert.True(await busy.WaitForServerCloseAsync(), "the connection stayed open after its last response");
        await stopping.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task AtShutdown_ARequestStillServedAtTheDrainDeadline_IsAborted()
    {
        var server = await StartAsync(new ServerOptions { DrainTimeout = TimeSpan.FromMilliseconds(300), CloseTimeout = TimeSpan.FromMilliseconds(300) });
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await raw.SendRawAsync("GET /wait-abort HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        await _endpoints.Serving.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // /wait-abort never ends by itself: the stop can only end because the drain deadline aborted it.
        await server.Server.StopAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await _endpoints.Aborted.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(await raw.WaitForServerCloseAsync(), "the aborted request's connection stayed open");
        await server.DisposeAsync();
    }

    [Fact]
    public async Task EndpointThatThrows_Gets500_AndTheConnectionClosesCleanly_AndTheServerGoesOn()
    {
        await using var server = await StartAsync();
        await using (var raw = await RawWebSocketClient.OpenAsync(server.EndPoint))
        {
            await raw.SendRawAsync("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            var response = await raw.ReadHttpResponseAsync();
            Assert.Equal(500, response.Status);
            Assert.DoesNotContain("boom", response.Body); // no details to the peer
            Assert.Contains("Connection: close", response.Head);
            Assert.True(await raw.WaitForServerCloseAsync());
        }

        await using var next = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await next.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, (await next.ReadHttpResponseAsync()).Status);
    }

    [Fact]
    public async Task EndpointThatReturnsWithoutResponding_Gets500_OnAConnectionThatStaysUsable()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("GET /silent HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        Assert.Equal(500, (await raw.ReadHttpResponseAsync()).Status);
        Assert.Equal(200, (await raw.ReadHttpResponseAsync()).Status);
    }

    [Fact]
    public async Task Responses_AnnounceAKeepAliveTimeoutBelowTheRealOne()
    {
        await using var server = await StartAsync(new ServerOptions { KeepAliveTimeout = TimeSpan.FromSeconds(30) });
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        Assert.Contains("Keep-Alive: timeout=27\r\n", (await raw.ReadHttpResponseAsync()).Head);
    }

    [Fact]
    public async Task IdleKeepAliveConnection_IsClosedAtTheKeepAliveTimeout()
    {
        await using var server = await StartAsync(new ServerOptions { KeepAliveTimeout = TimeSpan.FromMilliseconds(300) });
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, (await raw.ReadHttpResponseAsync()).Status);

        Assert.True(await raw.WaitForServerCloseAsync(), "idle keep-alive connection never closed");
        Assert.Equal(1, server.Server.Metrics.Timeouts.WithLabels("keepalive").Value);
    }

    [Fact]
    public async Task HeadTrickledByteByByte_IsDroppedAtTheHandshakeTimeout_FromItsFirstByte()
    {
        // A deadline that each partial read restarted would never cut this head off. One byte per 100 ms
        // of a 60-byte head takes 6 s; the handshake timeout is 500 ms. Only liveness is asserted (closed within 15 s).
        await using var server = await StartAsync(new ServerOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(500) });
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint, timeout: TimeSpan.FromSeconds(15));
        byte[] head = "GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaa\r\n\r\n"u8.ToArray();

        using var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            try
            {
                foreach (byte b in head)
                {
                    await raw.SendRawAsync(new[] { b });
                    await Task.Delay(100, stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
                // the server closed on us, as it should
            }
        }, TestContext.Current.CancellationToken);

        long received = await raw.ReadToEndAsync();
        bool finished = trickle.IsCompleted;
        await stop.CancelAsync();
        await trickle;

        Assert.Equal(0, received); // dropped, never answered
        Assert.False(finished, "the whole head was sent before the server closed");
        Assert.Equal(1, server.Server.Metrics.Timeouts.WithLabels("handshake").Value);
    }

    [Fact]
    public async Task TwoThousandIdleAndTricklingConnections_AreRefusedPastThePerIpLimit_WhileAnotherAddressIsServed()
    {
        const int Limit = 50;
        const int Flood = 2000;
        var options = new ServerOptions { MaxConnectionsPerIp = Limit, HandshakeTimeout = TimeSpan.FromSeconds(60), KeepAliveTimeout = TimeSpan.FromSeconds(60) };
        await using var server = await StartAsync(options);
        var sockets = new List<Socket>(Flood);
        int refused = 0;
        try
        {
            for (int batch = 0; batch < Flood; batch += 100)
            {
                var connecting = Enumerable.Range(batch, 100).Select(async i =>
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(server.EndPoint, TestContext.Current.CancellationToken);
                    if (i % 2 == 1)
                    {
                        await socket.SendAsync("GET / HT"u8.ToArray(), TestContext.Current.CancellationToken); // and never more
                    }

                    return socket;
                });
                sockets.AddRange(await Task.WhenAll(connecting));
            }

            // Every socket past the limit gets a 503 and the end of the stream; the admitted ones hear nothing. The refusals
            // are counted before they are written: wait for all of them (a loaded machine may lag), then read.
            await TestServer.EventuallyAsync(() => server.Server.Metrics.ConnectionsRefused.WithLabels("max_connections_per_ip").Value >= Flood - Limit,
                "every connection past the limit refused", timeoutMs: 60_000);
            var answers = await Task.WhenAll(sockets.Select(s => ReadStatusOrSilenceAsync(s, TimeSpan.FromSeconds(5))));
            refused = answers.Count(a => a == "503");
            Assert.True(answers.All(a => a is "503" or "silence"), "unexpected answers: " + string.Join(",", answers.Where(a => a is not ("503" or "silence")).Distinct()));
            Assert.Equal(Flood - Limit, refused);

            // Another address is still served while the 50 slots of 127.0.0.1 are held.
            await using (var other = await RawWebSocketClient.OpenAsync(server.EndPoint, localAddress: IPAddress.Parse("127.0.0.2")))
            {
                await other.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
                Assert.Equal(200, (await other.ReadHttpResponseAsync()).Status);
            }
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }

        // The flood gone, 127.0.0.1 is served again.
        await TestServer.EventuallyAsync(() => server.Server.ConnectionCount < Limit, "the flood's connections closed", timeoutMs: 30_000);
        await using var after = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await after.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, (await after.ReadHttpResponseAsync()).Status);
        Assert.Equal(Flood - Limit, server.Server.Metrics.ConnectionsRefused.WithLabels("max_connections_per_ip").Value);
    }

    // "503" (or another status) when the server answered and closed; "silence" when nothing came within the wait.
    private static async Task<string> ReadStatusOrSilenceAsync(Socket socket, TimeSpan wait)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(wait);
        var buffer = new byte[1024];
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(total), cts.Token);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (OperationCanceledException)
        {
            if (total == 0)
            {
                return "silence";
            }
        }
        catch (SocketException)
        {
            return total == 0 ? "reset" : Encoding.ASCII.GetString(buffer, 9, 3);
        }

        return total >= 12 ? Encoding.ASCII.GetString(buffer, 9, 3) : "eof";
    }
}
