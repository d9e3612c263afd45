using System.Text;
using ExaiFast.Server.Options;
using ExaiFast.Server.Tests.Infrastructure;

namespace ExaiFast.Server.Tests.Http;

/// <summary>Request bodies: Content-Length and chunked, limits, smuggling cases, Expect, slow bodies, keep-alive after a body.</summary>
public class HttpBodyTests : TransportSuite
{
    private readonly TestEndpoints _endpoints = new();

    private Task<TestServer> StartAsync(ServerOptions? options = null) => StartServerAsync(options, endpoints: _endpoints.Table);

    [Fact]
    public async Task ContentLengthBody_ReachesTheEndpoint()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world"u8.ToArray());
        var response = await raw.ReadHttpResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("hello world", response.Body);
        Assert.Contains("X-Body-Length: 11", response.Head);
        Assert.DoesNotContain("Connection: close", response.Head);
    }

    [Fact]
    public async Task ChunkedBody_WithExtensionsAndTrailers_FedByteByByte_IsDecoded_AndTheConnectionServesTheNextRequest()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        byte[] request = Encoding.ASCII.GetBytes(
            "POST /echo-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value;flag ; q=\"a \\\" b\"\r\nhello\r\n6\r\n world\r\n000;last\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n"
            + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        await raw.SendChoppedAsync(request, 1);

        var echoed = await raw.ReadHttpResponseAsync();
        Assert.Equal(200, echoed.Status);
        Assert.Equal("hello world", echoed.Body);
        Assert.Equal(200, (await raw.ReadHttpResponseAsync()).Status);
    }

    [Fact]
    public async Task KeepAlive_TwoPostsAndAGet_OnOneConnection()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"u8.ToArray());
        Assert.Equal("one", (await raw.ReadHttpResponseAsync()).Body);
        await raw.SendRawAsync("POST /echo-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"u8.ToArray());
        Assert.Equal("two", (await raw.ReadHttpResponseAsync()).Body);
        await raw.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var health = await raw.ReadHttpResponseAsync();

        Assert.Equal(200, health.Status);
        Assert.Contains("\"status\":\"ok\"", health.Body);
    }

    [Fact]
    public async Task PipelinedRequests_AreAnsweredInOrder()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync(Encoding.ASCII.GetBytes(
            "POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
            + "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /echo-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nthird\r\n0\r\n\r\n"
            + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));

        Assert.Equal("first", (await raw.ReadHttpResponseAsync()).Body);
        Assert.Contains("\"ready\":true", (await raw.ReadHttpResponseAsync()).Body);
        Assert.Equal("third", (await raw.ReadHttpResponseAsync()).Body);
        var last = await raw.ReadHttpResponseAsync();
        Assert.Contains("\"status\":\"ok\"", last.Body);
        Assert.Contains("Connection: close", last.Head);
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task DeclaredLengthOverTheLimit_Gets413AtOnce_WithoutTheBody()
    {
        await using var server = await StartAsync(); // the limit defaults to EXAI_WS_MAX_BYTES, 32 MiB
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n"u8.ToArray());
        var response = await raw.ReadHttpResponseAsync();

        Assert.Equal(413, response.Status);
        Assert.Contains("Connection: close", response.Head);
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task ChunkedBodyPassingTheLimit_Gets413_AsSoonAsAChunkSizeSaysSo()
    {
        await using var server = await StartAsync(new ServerOptions { MaxRequestBodyBytes = 1024 });
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        // 1000 bytes, then a chunk declaring 1 MiB of which nothing is sent.
        await raw.SendRawAsync(Encoding.ASCII.GetBytes("POST /echo-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n"
            + new string('a', 1000) + "\r\n100000\r\n"));

        Assert.Equal(413, (await raw.ReadHttpResponseAsync()).Status);
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Theory]
    [InlineData("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", 400)]
    [InlineData("Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400)]
    [InlineData("Content-Length: 5, 6\r\n\r\nhello!", 400)]
    [InlineData("Content-Length: -5\r\n\r\nhello", 400)]
    [InlineData("Content-Length: +5\r\n\r\nhello", 400)]
    [InlineData("Content-Length: five\r\n\r\nhello", 400)]
    [InlineData("Content-Length: 0x5\r\n\r\nhello", 400)]
    [InlineData("Content-Length: 99999999999999999999999\r\n\r\nhello", 400)]
    [InlineData("Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n5;a=\"open\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400)]
    [InlineData("Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501)]
    [InlineData("Transfer-Encoding: identity\r\n\r\n0\r\n\r\n", 501)]
    [InlineData("Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 501)]
    public async Task FramingThatCouldBeReadTwoWays_IsRefused_AndTheConnectionCloses(string headersAndBody, int status)
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync(Encoding.ASCII.GetBytes("POST /echo-body HTTP/1.1\r\nHost: x\r\n" + headersAndBody));
        var response = await raw.ReadHttpResponseAsync();

        Assert.True(response.Status == status, $"expected {status}, got {response.Status}:\n{response.Head}{response.Body}");
        Assert.Contains("Connection: close", response.Head);
        Assert.True(await raw.WaitForServerCloseAsync(), "connection left open after a framing error");
    }

    [Fact]
    public async Task TransferEncodingInHttp10_Is400()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("POST /echo-body HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"u8.ToArray());

        Assert.Equal(400, (await raw.ReadHttpResponseAsync()).Status);
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task PostWithoutALength_Is411()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("POST /echo-body HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        Assert.Equal(411, (await raw.ReadHttpResponseAsync()).Status);
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task Expect100Continue_Gets100BeforeTheBodyIsSent_ThenTheResponse()
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"u8.ToArray());
        var interim = await raw.ReadHttpResponseAsync(readBody: false);
        Assert.Equal(100, interim.Status);

        await raw.SendRawAsync("body"u8.ToArray());
        var response = await raw.ReadHttpResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("body", response.Body);
    }

    [Theory]
    [InlineData("Content-Length: 67108864\r\nExpect: 100-continue\r\n", 413)]
    [InlineData("Content-Length: 4\r\nExpect: something-else\r\n", 417)]
    public async Task RefusedExpectation_IsAnsweredAtOnce_Without100(string headers, int status)
    {
        await using var server = await StartAsync();
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync(Encoding.ASCII.GetBytes("POST /echo-body HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"));

        Assert.Equal(status, (await raw.ReadHttpResponseAsync()).Status);
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task BodyTrickledBelowTheMinimumRate_Gets408_AndTheConnectionCloses()
    {
        // 1,000 B/s required after 300 ms; we send 10 bytes every 100 ms (100 B/s) of a 100,000-byte body.
        var options = new ServerOptions { MinRequestBodyRate = 1000, MinRequestBodyRateGrace = TimeSpan.FromMilliseconds(300) };
        await using var server = await StartAsync(options);
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint, timeout: TimeSpan.FromSeconds(30));
        await raw.SendRawAsync("POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"u8.ToArray());

        using var stop = new CancellationTokenSource();
        var trickle = TrickleAsync(raw, stop.Token);
        var response = await raw.ReadHttpResponseAsync();
        await stop.CancelAsync();
        await trickle;

        Assert.Equal(408, response.Status);
        Assert.Contains("Connection: close", response.Head);
        Assert.True(await raw.WaitForServerCloseAsync());
        Assert.Equal(1, server.Server.Metrics.Timeouts.WithLabels("body").Value);
    }

    [Fact]
    public async Task BodyNotCompleteWithinTheBodyTimeout_Gets408()
    {
        var options = new ServerOptions { RequestBodyTimeout = TimeSpan.FromMilliseconds(500), MinRequestBodyRate = 0 };
        await using var server = await StartAsync(options);
        await using var raw = await RawWebSocketClient.OpenAsync(server.EndPoint);

        await raw.SendRawAsync("POST /echo-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"u8.ToArray());

        Assert.Equal(408, (await raw.ReadHttpResponseAsync()).Status);
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    private static async Task TrickleAsync(RawWebSocketClient raw, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await raw.SendRawAsync(new byte[10]);
                await Task.Delay(100, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.Sockets.SocketException)
        {
            // stopped, or the server closed on us
        }
    }
}
