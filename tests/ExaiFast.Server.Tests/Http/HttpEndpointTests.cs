using System.Net;
using System.Text;
using System.Text.Json;
using ExaiFast.Core.Options;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Http;

/// <summary>/health, /ready, /metrics and the plain HTTP errors, over real sockets.</summary>
public class HttpEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Health_Is200Json_WithCounts()
    {
        await using var server = await TestServer.StartAsync();
        await using var ws = await RawWebSocketClient.ConnectAsync(server.EndPoint);

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
        var server = await TestServer.StartAsync(new ServerOptions { DrainTimeout = TimeSpan.FromSeconds(5), CloseTimeout = TimeSpan.FromSeconds(5) });
        await using var ws = await RawWebSocketClient.ConnectAsync(server.EndPoint);
        var ready = await Http.GetAsync(server.HttpUri("/ready"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // Keep-alive connection opened before the drain: /ready on it must now say 503.
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);
        await raw.SendRawAsync("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, (await raw.ReadHttpResponseAsync()).Status);

        var stopping = server.Server.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(CloseCodes.GoingAway, (await ws.ReadFrameAsync())!.CloseCode);
        await ws.SendCloseAsync(CloseCodes.GoingAway);
        await stopping;
        Assert.True(await raw.WaitForServerCloseAsync(), "idle keep-alive connection not closed at shutdown");
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_ShowRealCounters_AfterTraffic()
    {
        await using var server = await TestServer.StartAsync();
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
        await using var server = await TestServer.StartAsync();
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
        await using var server = await TestServer.StartAsync();
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
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 9000) + "\r\n\r\n"));

        Assert.Equal(431, (await raw.ReadHttpResponseAsync()).Status);
    }

    [Fact]
    public async Task OriginFromLocalhost_OrAllowedList_IsAccepted()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { AllowedOrigins = ["https://app.example"] });
        foreach (string origin in new[] { "http://localhost:3000", "http://127.0.0.1", "https://app.example" })
        {
            await using var client = await RawWebSocketClient.OpenAsync(server.EndPoint);
            Assert.Equal(101, (await client.HandshakeAsync(extraHeaders: $"Origin: {origin}\r\n")).Status);
        }

        await using var evil = await RawWebSocketClient.OpenAsync(server.EndPoint);
        Assert.Equal(403, (await evil.HandshakeAsync(extraHeaders: "Origin: http://localhost.evil.example\r\n")).Status);
    }

    [Fact]
    public async Task McpSubprotocol_IsSelected_WhenOffered()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawWebSocketClient.OpenAsync(server.EndPoint);

        var (status, head) = await client.HandshakeAsync("/ws", "Sec-WebSocket-Protocol: mcp\r\n");

        Assert.Equal(101, status);
        Assert.Contains("Sec-WebSocket-Protocol: mcp\r\n", head);
    }
}
