using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Server.Mcp;
using ExaiFast.Tests.ExaiWs;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.Mcp;

/// <summary>MCP Streamable HTTP at <c>/mcp</c>, status code by status code, with the BCL HttpClient.</summary>
public class McpHttpTests
{
    private const string BothTypes = "application/json, text/event-stream";

    private static JsonObject Request(JsonNode id, string method, JsonObject? parameters = null) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };

    private static JsonObject Initialize(JsonNode id) =>
        Request(id, "initialize", new JsonObject { ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "http-tests", ["version"] = "1" } });

    private static JsonObject Call(JsonNode id, JsonObject arguments, JsonNode? progressToken = null)
    {
        var parameters = new JsonObject { ["name"] = "chat", ["arguments"] = arguments };
        if (progressToken is not null)
        {
            parameters["_meta"] = new JsonObject { ["progressToken"] = progressToken };
        }

        return Request(id, "tools/call", parameters);
    }

    private static HttpRequestMessage Post(Daemon daemon, JsonNode message, string accept = BothTypes, string? session = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp"))
        {
            Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue(contentType)),
        };
        request.Headers.TryAddWithoutValidation("Accept", accept);
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return request;
    }

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();

    /// <summary>Every <c>data:</c> line of an SSE body, parsed.</summary>
    private static List<JsonObject> Events(string body) =>
        body.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[5..])!.AsObject()).ToList();

    [Fact]
    public async Task Initialize_IssuesASession_ThatServesRequests_TakesNotifications_AndEndsAtDelete()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var init = await http.SendAsync(Post(daemon, Initialize(1)), ct);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        Assert.Equal("application/json", init.Content.Headers.ContentType?.MediaType);
        string session = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        Assert.Matches("^[0-9a-f]{32}$", session);
        Assert.Equal("2025-11-25", (string?)(await JsonAsync(init))["result"]!["protocolVersion"]);

        using var initialized = await http.SendAsync(Post(daemon, new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" }, session: session), ct);
        Assert.Equal(HttpStatusCode.Accepted, initialized.StatusCode);
        Assert.Empty(await initialized.Content.ReadAsByteArrayAsync(ct));

        using var list = await http.SendAsync(Post(daemon, Request(2, "tools/list"), session: session), ct);
        Assert.Contains("chat", (await JsonAsync(list))["result"]!["tools"]!.AsArray().Select(t => (string?)t!["name"]));

        using var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(daemon.HttpUri, "/mcp")) { Headers = { { "Mcp-Session-Id", session } } };
        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(delete, ct)).StatusCode);

        using var gone = await http.SendAsync(Post(daemon, Request(3, "ping"), session: session), ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(-32001, (int)(await JsonAsync(gone))["error"]!["code"]!);

        using var deleteAgain = new HttpRequestMessage(HttpMethod.Delete, new Uri(daemon.HttpUri, "/mcp")) { Headers = { { "Mcp-Session-Id", session } } };
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(deleteAgain, ct)).StatusCode);
        using var deleteNone = new HttpRequestMessage(HttpMethod.Delete, new Uri(daemon.HttpUri, "/mcp"));
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(deleteNone, ct)).StatusCode);
    }

    [Fact]
    public async Task WithoutASession_RequestsAreServedStatelessly_InJson_OrAsAnSseStream()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        // A client that accepts only JSON waits for the answer as JSON, whatever it takes.
        using var json = await http.SendAsync(Post(daemon, Call(1, new JsonObject { ["prompt"] = "json please", ["local_latency_ms"] = 200 }, "p"), accept: "application/json"), ct);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        Assert.False(json.Headers.Contains("Mcp-Session-Id"));
        var result = (await JsonAsync(json))["result"]!;
        Assert.False((bool)result["isError"]!);
        Assert.Contains("json please", (string?)result["content"]![0]!["text"], StringComparison.Ordinal);

        // One that accepts SSE gets the progress, then the response, which ends the stream.
        using var sse = await http.SendAsync(Post(daemon, Call(2, new JsonObject { ["prompt"] = "stream please", ["local_latency_ms"] = 400 }, "tok")), ct);
        Assert.Equal("text/event-stream", sse.Content.Headers.ContentType?.MediaType);
        var events = Events(await sse.Content.ReadAsStringAsync(ct));
        var progress = events.SkipLast(1).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.Equal("notifications/progress", (string?)p["method"]));
        Assert.All(progress, p => Assert.Equal("tok", (string?)p["params"]!["progressToken"]));
        var values = progress.Select(p => (double)p["params"]!["progress"]!).ToList();
        Assert.Equal(values.Order(), values);
        Assert.Equal(values.Count, values.Distinct().Count());
        Assert.Equal(2, (int)events[^1]["id"]!);
        Assert.Contains("stream please", (string?)events[^1]["result"]!["content"]![0]!["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatelessCalls_LeaveNothingBehind_NoSessionNoStoredResultNoKey()
    {
        // Room for all 50 at once: each stateless POST is a session of its own, so only the global limit applies.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_GLOBAL_MAX_INFLIGHT"] = "100" });
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;
        await using (var exai = await ExaiWsClient.ConnectAsync(daemon.Uri))
        {
            // An exai-ws result is kept (its request_id may come again): the control that the count is live.
            await exai.SendAsync(new JsonObject { ["op"] = "call_tool", ["request_id"] = "kept", ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "x" } });
            await exai.WaitForAsync(m => (string?)m["op"] == "call_tool_res");
        }

        Assert.Equal(1, daemon.Dispatcher.StoredResults);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var response = await http.SendAsync(Post(daemon, Call(i, new JsonObject { ["prompt"] = $"n{i}" })), ct);
            Assert.Contains($"n{i}", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }));

        // MCP never asks for a result twice (every request gets a fresh key): none is stored, no session lingers.
        Assert.Equal(1, daemon.Dispatcher.StoredResults);
        Assert.Equal(0, daemon.Dispatcher.InflightKeys);
        Assert.Equal(0, daemon.Services.GetRequiredService<McpHttpSessions>().Count);
    }

    [Fact]
    public async Task BadRequests_GetTheirStatus_WithAJsonRpcErrorBody()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        // A revision nobody serves: -32022 (McpModernHttpTests has the modern era's other refusals).
        var version = Post(daemon, Request(1, "ping"));
        version.Headers.Add("MCP-Protocol-Version", "2024-01-01");
        using var unsupported = await http.SendAsync(version, ct);
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
        var answer = await JsonAsync(unsupported);
        Assert.Equal(1, (int)answer["id"]!);
        Assert.Equal(-32022, (int)answer["error"]!["code"]!);
        Assert.Contains("2025-11-25", (string?)answer["error"]!["message"], StringComparison.Ordinal);

        var known = Post(daemon, Request(1, "ping"));
        known.Headers.Add("MCP-Protocol-Version", "2025-03-26");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(known, ct)).StatusCode);

        var evil = Post(daemon, Initialize(1));
        evil.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(evil, ct)).StatusCode);
        var local = Post(daemon, Initialize(1));
        local.Headers.Add("Origin", "http://localhost:3000");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(local, ct)).StatusCode);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await http.SendAsync(Post(daemon, Request(1, "ping"), contentType: "text/plain"), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotAcceptable, (await http.SendAsync(Post(daemon, Request(1, "ping"), accept: "text/html"), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(Post(daemon, Request(1, "ping"), session: "feedface"), ct)).StatusCode);

        using var notJson = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp"))
        {
            Content = new StringContent("{not json", Encoding.UTF8, "application/json"),
        }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal(-32700, (int)(await JsonAsync(notJson))["error"]!["code"]!);

        using var get = await http.GetAsync(new Uri(daemon.HttpUri, "/mcp"), ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("POST, DELETE", string.Join(", ", get.Content.Headers.Allow));

        // The connection stays usable after each of them (keep-alive): /health still answers on the same client.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(daemon.HttpUri, "/health"), ct)).StatusCode);
    }

    [Fact]
    public async Task ADaemonWithAToken_WantsItAsBearer_NotInTheQuery()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "http-secret" });
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var none = await http.SendAsync(Post(daemon, Request(1, "ping")), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);

        var query = Post(daemon, Request(1, "ping"));
        query.RequestUri = new Uri(daemon.HttpUri, "/mcp?token=http-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(query, ct)).StatusCode); // URLs end up in logs

        var wrong = Post(daemon, Request(1, "ping"));
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "http-secre");
        using var wrongAnswer = await http.SendAsync(wrong, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.DoesNotContain("http-secre", await wrongAnswer.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        var right = Post(daemon, Request(1, "ping"));
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "http-secret");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(right, ct)).StatusCode);
    }

    [Fact]
    public async Task ARefusedClient_IsAnsweredFromTheHead_BeforeItsBodyIsRead_OrContinued()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "head-secret" });
        using var raw = new System.Net.Sockets.TcpClient();
        await raw.ConnectAsync(daemon.EndPoint, TestContext.Current.CancellationToken);
        var stream = raw.GetStream();

        // 16 MiB announced, nothing of it sent, and a request for 100 Continue: the 401 must come at once, without a 100.
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json\r\n" +
            "Expect: 100-continue\r\nContent-Length: 16777216\r\n\r\n"), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream);
        string response = await reader.ReadToEndAsync(TestContext.Current.CancellationToken); // the server closes after it
        Assert.StartsWith("HTTP/1.1 401 ", response, StringComparison.Ordinal);
        Assert.DoesNotContain("100 Continue", response, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: Bearer", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.Ordinal);
        Assert.Contains("\"code\":-32600", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACancelPostedOnItsOwn_FindsTheCallThroughTheSession_StopsIt_AndItsStreamEndsWithoutAResponse()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;
        using var init = await http.SendAsync(Post(daemon, Initialize(0)), ct);
        string session = init.Headers.GetValues("Mcp-Session-Id").Single();

        using var slow = await http.SendAsync(Post(daemon, Call("slow", new JsonObject { ["prompt"] = "slow", ["local_latency_ms"] = 60_000 }, "t"), session: session),
            HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal("text/event-stream", slow.Content.Headers.ContentType?.MediaType);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 1);

        var cancel = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = "slow" } };
        Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(Post(daemon, cancel, session: session), ct)).StatusCode);

        var events = Events(await slow.Content.ReadAsStringAsync(ct)); // the stream ends
        Assert.All(events, e => Assert.Equal("notifications/progress", (string?)e["method"]));
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0);

        using var after = await http.SendAsync(Post(daemon, Call("after", new JsonObject { ["prompt"] = "after" }), session: session), ct);
        Assert.Contains("after", await after.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientThatDropsItsPost_HasItsCallCancelled()
    {
        await using var daemon = await Daemon.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        using (var http = new HttpClient())
        {
            using var slow = await http.SendAsync(Post(daemon, Call(1, new JsonObject { ["prompt"] = "slow", ["local_latency_ms"] = 60_000 })),
                HttpCompletionOption.ResponseHeadersRead, ct);
            await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 1);
        } // disposing the client closes its connection

        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0);

        // A JSON-only client (no stream was started for it) that leaves while waiting: cancelled too, and no 500 for it.
        using (var raw = new System.Net.Sockets.TcpClient())
        {
            await raw.ConnectAsync(daemon.EndPoint, ct);
            string body = Call(2, new JsonObject { ["prompt"] = "slow", ["local_latency_ms"] = 60_000 }).ToJsonString();
            await raw.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"), ct);
            await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 1);
        }

        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 2 && daemon.Dispatcher.Inflight == 0);
        await ExaiWsProtocolTests.Eventually(() => daemon.Server.ConnectionCount == 0);
        Assert.Equal(0, daemon.Server.Metrics.HttpRequests.WithLabels("mcp", "500").Value); // a client leaving is not a server error
    }

    [Fact]
    public async Task Sessions_AreBounded_TheLeastRecentlyUsedIdleOneMakesRoom()
    {
        // An idle timeout far beyond the test: a stalled machine cannot expire a session between two checks.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_MCP_MAX_SESSIONS"] = "2", ["EXAIFAST_MCP_SESSION_IDLE_SECS"] = "3600" });
        using var http = new HttpClient();

        string first = await OpenSessionAsync(http, daemon);
        string second = await OpenSessionAsync(http, daemon);
        Assert.Equal(HttpStatusCode.OK, await PingSessionAsync(http, daemon, first)); // first is now the more recently used
        string third = await OpenSessionAsync(http, daemon);
        Assert.Equal(HttpStatusCode.NotFound, await PingSessionAsync(http, daemon, second));
        Assert.Equal(HttpStatusCode.OK, await PingSessionAsync(http, daemon, first));
        Assert.Equal(HttpStatusCode.OK, await PingSessionAsync(http, daemon, third));
    }

    [Fact]
    public async Task Sessions_IdleLongerThanTheIdleTimeout_Expire()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_MCP_SESSION_IDLE_SECS"] = "1" });
        using var http = new HttpClient();
        string first = await OpenSessionAsync(http, daemon);
        string second = await OpenSessionAsync(http, daemon);

        // Gone once idle for longer than the timeout (the sweep runs every quarter of it). Watched on the table, since a
        // request would itself keep the session alive.
        var table = daemon.Services.GetRequiredService<McpHttpSessions>();
        await ExaiWsProtocolTests.Eventually(() => table.Count == 0, because: "idle sessions never expired");
        Assert.Equal(HttpStatusCode.NotFound, await PingSessionAsync(http, daemon, first));
        Assert.Equal(HttpStatusCode.NotFound, await PingSessionAsync(http, daemon, second));
    }

    private static async Task<string> OpenSessionAsync(HttpClient http, Daemon daemon)
    {
        using var init = await http.SendAsync(Post(daemon, Initialize(0)), TestContext.Current.CancellationToken);
        return init.Headers.GetValues("Mcp-Session-Id").Single();
    }

    private static async Task<HttpStatusCode> PingSessionAsync(HttpClient http, Daemon daemon, string session)
    {
        using var response = await http.SendAsync(Post(daemon, Request(1, "ping"), session: session), TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Theory]
    [InlineData(100)] // parsed inline
    [InlineData(2 << 20)] // a big message: parsed on a thread of its own
    public async Task InvalidUtf8InsideAString_IsAParseError_NotAToolFailure_AndTheSessionGoesOn(int size)
    {
        // A parse does not check the bytes inside strings: a stray byte once reached chat and came back INTERNAL_ERROR.
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;
        using var init = await http.SendAsync(Post(daemon, Initialize(1)), ct);
        string session = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));

        byte[] call = Encoding.UTF8.GetBytes(Call(2, new JsonObject { ["prompt"] = new string('p', size) + "XY" }).ToJsonString());
        int at = Array.IndexOf(call, (byte)'X');
        (call[at], call[at + 1]) = (0xC3, 0x28); // a lead byte, then no continuation
        using var bad = Post(daemon, Request(0, "ping"), session: session);
        bad.Content = new ByteArrayContent(call) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using var refused = await http.SendAsync(bad, ct);
        var error = (await JsonAsync(refused))["error"]!;
        Assert.Equal(-32700, (int)error["code"]!);
        Assert.Contains("not valid JSON", (string?)error["message"], StringComparison.Ordinal);

        using var after = await http.SendAsync(Post(daemon, Call(3, new JsonObject { ["prompt"] = "still here" }), session: session), ct);
        string body = await after.Content.ReadAsStringAsync(ct);
        Assert.Contains("still here", body, StringComparison.Ordinal);
        Assert.DoesNotContain("INTERNAL_ERROR", body, StringComparison.Ordinal);
    }
}
