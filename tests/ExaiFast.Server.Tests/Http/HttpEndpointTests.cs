using System.Net;
using System.Text;
using System.Text.Json;
using ExaiFast.Server.Options;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Http;

/// <summary>/health, /ready, /metrics and the plain HTTP errors, over real sockets.</summary>
public class HttpEndpointTests : TransportSuite
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Health_Is200Json_WithCounts()
    {
        await using var server = await StartServerAsync();
        await using var ws = await RawWebSocketClient.ConnectAsync(server.EndPoint);

        // The client has its 101 before the server's connection loop has counted the upgrade: wait for the count, so
        // that the body below is read at a known state (seen missing under a load average of 30).
        await TestServer.EventuallyAsync(() => server.Server.WebSocketCount == 1, "upgrade counted");
        var response = await Http.GetAsync(server.HttpUri("/health"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("websockets").GetInt32());
        Assert.True(json.RootElement.GetProperty("uptime_s").GetDouble() >= 0);
    }

    [Fact]
    public async Task Ready_Is200WhileListening_And503WhileDraining()
    {
        var server = await StartServerAsync(new ServerOptions { DrainTimeout = TimeSpan.FromSeconds(5), CloseTimeout = TimeSpan.FromSeconds(5) });
        await using var ws = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var ready = await Http.GetAsync(server.HttpUri("/ready"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // Keep-alive connection opened before the drain: /ready on it must now say 503.
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await raw.SendRawAsync("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, (await raw.ReadHttpResponseAsync()).Status);

        // The drain's first step (StopAsync starts with it, but then ends plain HTTP connections at once, which would
        // leave nothing to ask): not listening, draining, open connections untouched.
        server.Server.StopListening();
        await raw.SendRawAsync("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var draining = await raw.ReadHttpResponseAsync();
        Assert.True(draining.Status == 503, $"/ready while draining must be 503, got {draining.Status}: {draining.Body}");
        Assert.Contains("\"ready\":false", draining.Body);
        Assert.Contains("\"draining\":true", draining.Body);

        var stopping = server.Server.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(CloseCodes.GoingAway, (await ws.ReadFrameAsync())!.CloseCode);
        await ws.SendCloseAsync(CloseCodes.GoingAway);
        await stopping;
        Assert.True(await raw.WaitForServerCloseAsync(), "idle keep-alive connection not closed at shutdown");
        await server.DisposeAsync();
    }

    [Fact]
    public async Task WebSocketUpgrade_WhileDraining_Gets503()
    {
        await using var server = await StartServerAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint); // accepted before the drain
        await TestServer.EventuallyAsync(() => server.Server.ConnectionCount == 1, "the connection accepted");

        server.Server.StopListening();
        var (status, head) = await raw.HandshakeAsync();

        Assert.True(status == 503, $"an upgrade while draining must get 503, got {status}:\n{head}");
        Assert.Contains("Connection: close", head);
        Assert.True(await raw.WaitForServerCloseAsync(), "connection refused with 503 was not closed");
        Assert.Equal(0, server.Server.WebSocketCount);
        Assert.Equal(1, server.Server.Metrics.ConnectionsRefused.WithLabels("draining").Value);
    }

    [Fact]
    public async Task Metrics_ShowRealCounters_AfterTraffic()
    {
        await using var server = await StartServerAsync();
        await using (var ws = await RawWebSocketClient.ConnectAsync(server.EndPoint))
        {
            for (int i = 0; i < 3; i++)
            {
                await ws.SendTextAsync("count me");
                await ws.ReadMessageAsync();
            }

            await ws.SendCloseAsync(CloseCodes.Normal);
            await ws.ExpectCloseAsync(CloseCodes.Normal);
        }

        await TestServer.EventuallyAsync(() => server.Server.WebSocketCount == 0, "close");
        string text = await Http.GetStringAsync(server.HttpUri("/metrics"), TestContext.Current.CancellationToken);

        Assert.Contains("exaifast_ws_messages_received_total 3", text);
        Assert.Matches(@"exaifast_ws_frames_received_total [4-9]", text); // 3 texts + close
        Assert.Matches(@"exaifast_ws_frames_sent_total [4-9]", text);
        Assert.Contains("exaifast_ws_closes_total{code=\"1000\",initiator=\"client\"} 1", text);
        Assert.Contains("exaifast_websocket_connections_total{subprotocol=\"exai-ws\"} 1", text);
        Assert.Contains("exaifast_websocket_connections_open 0", text);
        Assert.Matches(@"exaifast_bytes_received_total [1-9]\d*", text);
        Assert.Contains("dotnet_collection_count_total", text); // runtime GC collectors are registered
    }

    [Fact]
    public async Task HttpKeepAlive_ServesSeveralRequestsOnOneConnection()
    {
        await using var server = await StartServerAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /ready HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var first = await raw.ReadHttpResponseAsync();
        var second = await raw.ReadHttpResponseAsync();

        Assert.Equal(200, first.Status);
        Assert.Contains("\"status\":\"ok\"", first.Body);
        Assert.Equal(200, second.Status);
        Assert.Contains("\"ready\":true", second.Body);
    }

    [Theory]
    [InlineData("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, null)]
    [InlineData("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, "Allow: GET, HEAD")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", 405, "Allow: GET")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 426, "Upgrade: websocket")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426, "Sec-WebSocket-Version: 13")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", 400, null)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n", 403, null)]
    [InlineData("BROKEN\r\n\r\n", 400, null)]
    [InlineData("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 400, null)]
    public async Task BadRequests_GetAPlainHttpError_AndTheConnectionCloses(string request, int status, string? header)
    {
        await using var server = await StartServerAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync(Encoding.ASCII.GetBytes(request));
        var response = await raw.ReadHttpResponseAsync();

        Assert.Equal(status, response.Status);
        Assert.Contains("Connection: close", response.Head);
        if (header is not null)
        {
            Assert.Contains(header, response.Head);
        }

        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task HeadOver8KiB_Gets431()
    {
        await using var server = await StartServerAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 9000) + "\r\n\r\n"));

        Assert.Equal(431, (await raw.ReadHttpResponseAsync()).Status);
    }

    [Fact]
    public async Task OriginFromLocalhost_OrAllowedList_IsAccepted()
    {
        await using var server = await StartServerAsync(new ServerOptions { AllowedOrigins = ["https://app.example"] });
        foreach (string origin in new[] { "http://localhost:3000", "http://127.0.0.1", "https://app.example" })
        {
            await using var client = await RawWebSocketClient.OpenAsync(server.EndPoint);
            Assert.Equal(101, (await client.HandshakeAsync(extraHeaders: $"Origin: {origin}\r\n")).Status);
        }

        await using var evil = await RawWebSocketClient.OpenAsync(server.EndPoint);
        Assert.Equal(403, (await evil.HandshakeAsync(extraHeaders: "Origin: http://localhost.evil.example\r\n")).Status);
    }

    [Fact]
    public async Task AllowedOriginsStar_AcceptsAnyOrigin()
    {
        await using var strict = await StartServerAsync();
        await using (var refused = await RawWebSocketClient.OpenAsync(strict.EndPoint))
        {
            Assert.Equal(403, (await refused.HandshakeAsync(extraHeaders: "Origin: https://evil.example\r\n")).Status);
        }

        await using var open = await StartServerAsync(new ServerOptions { AllowedOrigins = ["*"] });
        foreach (string origin in new[] { "https://evil.example", "http://localhost.evil.example", "null" })
        {
            await using var client = await RawWebSocketClient.OpenAsync(open.EndPoint);
            var (status, head) = await client.HandshakeAsync(extraHeaders: $"Origin: {origin}\r\n");
            Assert.True(status == 101, $"with allowed origins '*', Origin {origin} must be accepted; got {status}:\n{head}");
        }
    }

    // HEAD: the status and headers GET would get (Content-Length included, RFC 9110 §9.3.2), and no body. The GET
    // pipelined behind it proves the absence of a body: any body byte would be read as the start of the next response.
    [Theory]
    [InlineData("/health", 200)]
    [InlineData("/ready", 200)]
    [InlineData("/metrics", 200)]
    public async Task Head_OnStatusEndpoints_HasGetsHeaders_AndNoBody(string path, int status)
    {
        await using var server = await StartServerAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync(Encoding.ASCII.GetBytes($"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\nGET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        var head = await raw.ReadHttpResponseAsync(readBody: false);
        var get = await raw.ReadHttpResponseAsync();

        Assert.Equal(status, head.Status);
        Assert.True(get.Status == status, $"the response after HEAD's must be GET's; a body sent after HEAD's head shows here:\n{get.Head}");
        Assert.Equal(Header(get.Head, "Content-Type"), Header(head.Head, "Content-Type"));
        Assert.Equal(Header(get.Head, "Cache-Control"), Header(head.Head, "Cache-Control"));
        Assert.DoesNotContain("Connection: close", head.Head);
        long headLength = long.Parse(Header(head.Head, "Content-Length") ?? "-1", System.Globalization.CultureInfo.InvariantCulture);
        if (path == "/ready")
        {
            Assert.Equal(get.Body.Length, headLength); // the same body, byte for byte
        }
        else
        {
            // /health's uptime and /metrics' counters move between the two requests; the length stays close.
            Assert.True(headLength > get.Body.Length / 2 && headLength < get.Body.Length * 2,
                $"HEAD {path} announced Content-Length {headLength}, GET's body has {get.Body.Length} bytes");
        }
    }

    [Fact]
    public async Task Head_OnAnUnknownPath_Is404_WithGetsHeaders_AndNoBody()
    {
        await using var server = await StartServerAsync();
        await using var get = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await get.SendRawAsync("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var getResponse = await get.ReadHttpResponseAsync();

        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await raw.SendRawAsync("HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var head = await raw.ReadHttpResponseAsync(readBody: false);
        long after = await raw.ReadToEndAsync();

        Assert.Equal(404, head.Status);
        Assert.Equal(Header(getResponse.Head, "Content-Type"), Header(head.Head, "Content-Type"));
        Assert.Equal(Header(getResponse.Head, "Content-Length"), Header(head.Head, "Content-Length"));
        Assert.Contains("Connection: close", head.Head);
        Assert.True(after == 0, $"HEAD's 404 must have no body, but {after} bytes followed its head");
    }

    [Fact]
    public async Task McpSubprotocol_IsSelected_WhenOffered()
    {
        await using var server = await StartServerAsync();
        await using var client = await RawWebSocketClient.OpenAsync(server.EndPoint);

        var (status, head) = await client.HandshakeAsync("/ws", "Sec-WebSocket-Protocol: mcp\r\n");

        Assert.Equal(101, status);
        Assert.Contains("Sec-WebSocket-Protocol: mcp\r\n", head);
    }

    private static string? Header(string head, string name)
    {
        var match = System.Text.RegularExpressions.Regex.Match(head, $@"\r\n{name}: ([^\r]*)\r\n", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return match.Success ? match.Groups[1].Value : null;
    }
}
