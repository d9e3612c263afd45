using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Server.Mcp;
using ExaiFast.Tests.ExaiWs;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// MCP 2026-07-28 over Streamable HTTP, raw: what a modern POST is answered with, and every refusal with its status
/// and code (spec 2026-07-28 <c>basic/transports/streamable-http.mdx</c>, <c>basic/index.mdx</c>#meta).
/// </summary>
public class McpModernHttpTests
{
    private const string Modern = "2026-07-28";

    private static JsonObject Meta(string? version = Modern, bool capabilities = true, bool clientInfo = true)
    {
        var meta = new JsonObject();
        if (version is not null)
        {
            meta["io.modelcontextprotocol/protocolVersion"] = version;
        }

        if (capabilities)
        {
            meta["io.modelcontextprotocol/clientCapabilities"] = new JsonObject();
        }

        if (clientInfo)
        {
            meta["io.modelcontextprotocol/clientInfo"] = new JsonObject { ["name"] = "modern-http-tests", ["version"] = "1" };
        }

        return meta;
    }

    private static JsonObject Request(JsonNode id, string method, JsonObject? parameters = null, JsonObject? meta = null)
    {
        parameters ??= [];
        if (meta is not null)
        {
            parameters["_meta"] = meta;
        }

        return new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters };
    }

    private static JsonObject CallVersion(JsonNode id, JsonObject? meta) => Request(id, "tools/call", new JsonObject { ["name"] = "version", ["arguments"] = new JsonObject() }, meta);

    // A POST as a 2026-07-28 client sends it: the three headers repeating the body; null leaves one out.
    private static HttpRequestMessage Post(Daemon daemon, JsonObject message, string? version = Modern, string? method = "", string? name = "", string accept = "application/json, text/event-stream")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp"))
        {
            Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", accept);
        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", version);
        }

        if (method is not null)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Method", method.Length == 0 ? (string)message["method"]! : method);
        }

        if (name is not null && message["params"]?["name"] is JsonNode bodyName)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Name", name.Length == 0 ? (string)bodyName! : name);
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject(), response);
    }

    private static async Task AssertRefusedAsync(HttpClient http, HttpRequestMessage request, HttpStatusCode status, int code, JsonNode id)
    {
        var (actual, body, _) = await SendAsync(http, request);
        Assert.True(actual == status, $"{actual}: {body.ToJsonString()}");
        Assert.Equal(code, (int)body["error"]!["code"]!);
        Assert.Equal(id.ToJsonString(), body["id"]!.ToJsonString()); // every refusal echoes the request's id
        Assert.Null(body["result"]);
    }

    [Fact]
    public async Task AModernPost_IsServedWithoutASession_AndItsResultsSayResultTypeServerInfoAndCaching()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();

        var (status, discovered, response) = await SendAsync(http, Post(daemon, Request(1, "server/discover", meta: Meta())));
        Assert.Equal(HttpStatusCode.OK, status);
        var discover = discovered["result"]!;
        Assert.Equal("complete", (string?)discover["resultType"]);
        Assert.Equal([Modern], discover["supportedVersions"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("public", (string?)discover["cacheScope"]);
        Assert.True((int)discover["ttlMs"]! > 0);
        Assert.Equal("exaifast", (string?)discover["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]);
        Assert.False(response.Headers.Contains("Mcp-Session-Id"));

        // A session id from elsewhere is ignored (2026-07-28 has none): no 404, none issued.
        var listing = Post(daemon, Request(2, "tools/list", meta: Meta()));
        listing.Headers.Add("Mcp-Session-Id", "feedface");
        (status, var listed, response) = await SendAsync(http, listing);
        Assert.Equal(HttpStatusCode.OK, status);
        var list = listed["result"]!;
        Assert.Equal("complete", (string?)list["resultType"]);
        Assert.Equal(300_000, (int)list["ttlMs"]!);
        Assert.Equal("public", (string?)list["cacheScope"]);
        Assert.Equal("exaifast", (string?)list["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]);
        var chat = list["tools"]!.AsArray().Single(t => (string?)t!["name"] == "chat")!;
        Assert.NotNull(chat["outputSchema"]); // a modern client knows every tool field
        Assert.False(response.Headers.Contains("Mcp-Session-Id"));

        (status, var called, _) = await SendAsync(http, Post(daemon, CallVersion(3, Meta(clientInfo: false)))); // clientInfo is optional
        Assert.Equal(HttpStatusCode.OK, status);
        var call = called["result"]!;
        Assert.Equal("complete", (string?)call["resultType"]);
        Assert.False((bool)call["isError"]!);
        Assert.Equal("exaifast", (string?)call["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]);

        // A tool error stays a result (isError), and its _meta holds both the server and the error code.
        (status, var failed, _) = await SendAsync(http, Post(daemon, Request(4, "tools/call", new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject() }, Meta())));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)failed["result"]!["isError"]!);
        Assert.NotNull(failed["result"]!["_meta"]!["exaifast/error"]);
        Assert.NotNull(failed["result"]!["_meta"]!["io.modelcontextprotocol/serverInfo"]);

        // An unknown tool is a protocol error the request is answered with, at 200 (not one of the transport's refusals).
        (status, var unknown, _) = await SendAsync(http, Post(daemon, Request(5, "tools/call", new JsonObject { ["name"] = "no-such-tool" }, Meta())));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(-32602, (int)unknown["error"]!["code"]!);

        Assert.Equal(0, daemon.Services.GetRequiredService<McpHttpSessions>().Count);
    }

    [Fact]
    public async Task MissingMetaFields_AreInvalidParams_At400()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();

        await AssertRefusedAsync(http, Post(daemon, Request(1, "tools/list")), HttpStatusCode.BadRequest, -32602, 1);
        await AssertRefusedAsync(http, Post(daemon, Request("two", "tools/list", meta: Meta(version: null))), HttpStatusCode.BadRequest, -32602, "two");
        await AssertRefusedAsync(http, Post(daemon, Request(3, "tools/list", meta: Meta(capabilities: false))), HttpStatusCode.BadRequest, -32602, 3);
        var notAnObject = Meta();
        notAnObject["io.modelcontextprotocol/clientCapabilities"] = "none";
        await AssertRefusedAsync(http, Post(daemon, Request(4, "tools/list", meta: notAnObject)), HttpStatusCode.BadRequest, -32602, 4);
        await AssertRefusedAsync(http, Post(daemon, Request(5, "server/discover")), HttpStatusCode.BadRequest, -32602, 5);
    }

    [Fact]
    public async Task AnUnsupportedVersion_IsRefusedWith32022_EchoingTheId_AndListingWhatIsSupported()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();

        // Named in the header only (a legacy-looking body): refused before anything else, the id echoed.
        var (status, body, _) = await SendAsync(http, Post(daemon, Request("abc", "tools/list"), version: "1999-01-01", method: null));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("abc", (string?)body["id"]);
        Assert.Equal(-32022, (int)body["error"]!["code"]!);
        Assert.Equal([Modern], body["error"]!["data"]!["supported"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("1999-01-01", (string?)body["error"]!["data"]!["requested"]);

        // In both header and _meta.
        (status, body, _) = await SendAsync(http, Post(daemon, Request(2, "tools/list", meta: Meta("v999.0.0")), version: "v999.0.0"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32022, (int)body["error"]!["code"]!);
        Assert.Equal("v999.0.0", (string?)body["error"]!["data"]!["requested"]);

        // A legacy revision is chosen with initialize, not per request.
        (status, body, _) = await SendAsync(http, Post(daemon, Request(3, "tools/list", meta: Meta("2025-11-25")), version: "2025-11-25"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32022, (int)body["error"]!["code"]!);
        Assert.Equal(3, (int)body["id"]!);
    }

    [Fact]
    public async Task HeadersThatDisagreeWithTheBody_AreHeaderMismatch_At400()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();

        // The version: the header against _meta (a mismatch beats "unsupported"), or no header for a modern _meta.
        await AssertRefusedAsync(http, Post(daemon, Request(1, "tools/list", meta: Meta("v999.0.0"))), HttpStatusCode.BadRequest, -32020, 1);
        await AssertRefusedAsync(http, Post(daemon, Request(2, "tools/list", meta: Meta()), version: null), HttpStatusCode.BadRequest, -32020, 2);
        await AssertRefusedAsync(http, Post(daemon, Request(3, "tools/list", meta: Meta()), version: "2025-11-25"), HttpStatusCode.BadRequest, -32020, 3);

        // Mcp-Method: required, and compared as is (case-sensitive) once trimmed.
        await AssertRefusedAsync(http, Post(daemon, Request(4, "tools/list", meta: Meta()), method: null), HttpStatusCode.BadRequest, -32020, 4);
        await AssertRefusedAsync(http, Post(daemon, Request(5, "tools/list", meta: Meta()), method: "TOOLS/LIST"), HttpStatusCode.BadRequest, -32020, 5);
        await AssertRefusedAsync(http, Post(daemon, Request(6, "tools/list", meta: Meta()), method: "tools/call"), HttpStatusCode.BadRequest, -32020, 6);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, Post(daemon, Request(7, "tools/list", meta: Meta()), method: " \ttools/list  "))).Status);

        // Mcp-Name: required for tools/call, trimmed, and decoded from =?base64?…?= before the comparison.
        await AssertRefusedAsync(http, Post(daemon, CallVersion(8, Meta()), name: null), HttpStatusCode.BadRequest, -32020, 8);
        await AssertRefusedAsync(http, Post(daemon, CallVersion(9, Meta()), name: "chat"), HttpStatusCode.BadRequest, -32020, 9);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, Post(daemon, CallVersion(10, Meta()), name: "  version  "))).Status);
        string encoded = "=?base64?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("version")) + "?=";
        var (status, body, _) = await SendAsync(http, Post(daemon, CallVersion(11, Meta()), name: encoded));
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.False((bool)body["result"]!["isError"]!);
        await AssertRefusedAsync(http, Post(daemon, CallVersion(12, Meta()), name: "=?base64?" + Convert.ToBase64String("chat"u8.ToArray()) + "?="), HttpStatusCode.BadRequest, -32020, 12);
        await AssertRefusedAsync(http, Post(daemon, CallVersion(13, Meta()), name: "=?base64?not base64!?="), HttpStatusCode.BadRequest, -32020, 13);
        await AssertRefusedAsync(http, Post(daemon, CallVersion(14, Meta()), name: "=?BASE64?dmVyc2lvbg==?="), HttpStatusCode.BadRequest, -32020, 14); // the sentinel is lowercase only

        // A non-ASCII name travels base64-encoded; the unknown tool is then an ordinary -32602 at 200.
        var unicode = Request(15, "tools/call", new JsonObject { ["name"] = "outil-é" }, Meta());
        (status, body, _) = await SendAsync(http, Post(daemon, unicode, name: "=?base64?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("outil-é")) + "?="));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(-32602, (int)body["error"]!["code"]!);
    }

    [Theory]
    [InlineData("initialize")]
    [InlineData("ping")]
    [InlineData("logging/setLevel")]
    [InlineData("resources/subscribe")]
    [InlineData("subscriptions/listen")]
    [InlineData("unknown/method")]
    public async Task AMethodThe2026RevisionLacks_IsMethodNotFound_At404(string method)
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();
        await AssertRefusedAsync(http, Post(daemon, Request(1, method, meta: Meta())), HttpStatusCode.NotFound, -32601, 1);
        Assert.Equal(0, daemon.Services.GetRequiredService<McpHttpSessions>().Count); // a modern initialize issues no session
    }

    [Fact]
    public async Task GetAndDelete_OfAModernClient_AreMethodNotAllowed_AndNotificationsAreAccepted()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        foreach (var verb in new[] { HttpMethod.Get, HttpMethod.Delete })
        {
            using var request = new HttpRequestMessage(verb, new Uri(daemon.HttpUri, "/mcp"));
            request.Headers.Add("MCP-Protocol-Version", Modern);
            request.Headers.Add("Mcp-Session-Id", "feedface");
            using var response = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal("POST", string.Join(", ", response.Content.Headers.Allow));
        }

        var cancelled = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = 1, ["_meta"] = Meta() } };
        using var accepted = await http.SendAsync(Post(daemon, cancelled, method: null), ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var named = await http.SendAsync(Post(daemon, cancelled), ct);
        Assert.Equal(HttpStatusCode.Accepted, named.StatusCode);
        var (status, body, _) = await SendAsync(http, Post(daemon, cancelled, method: "notifications/progress"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32020, (int)body["error"]!["code"]!);
    }

    [Fact]
    public async Task AModernCallThatTakesItsTime_StreamsProgress_ThenItsResult_AndTellsProxiesNotToBuffer()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        var meta = Meta();
        meta["progressToken"] = "tok";
        var slow = Request(1, "tools/call", new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "stream please", ["local_latency_ms"] = 400 } }, meta);
        using var response = await http.SendAsync(Post(daemon, slow), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Accel-Buffering")));
        var events = (await response.Content.ReadAsStringAsync(ct)).Split('\n')
            .Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[5..])!.AsObject()).ToList();
        Assert.NotEmpty(events.SkipLast(1));
        Assert.All(events.SkipLast(1), e => Assert.Equal("notifications/progress", (string?)e["method"]));
        Assert.Equal("complete", (string?)events[^1]["result"]!["resultType"]);
        Assert.Contains("stream please", (string?)events[^1]["result"]!["content"]![0]!["text"], StringComparison.Ordinal);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0);
    }

    [Fact]
    public async Task ALegacyPost_IsAnsweredAsBefore_WithoutAnyModernField()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient();

        var (status, body, _) = await SendAsync(http, Post(daemon, Request(1, "tools/list"), version: "2025-11-25", method: null));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body["result"]!["resultType"]);
        Assert.Null(body["result"]!["ttlMs"]);
        Assert.Null(body["result"]!["_meta"]);

        (status, body, _) = await SendAsync(http, Post(daemon, CallVersion(2, meta: null), version: null, method: null, name: null));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body["result"]!["resultType"]);
        Assert.Null(body["result"]!["_meta"]);

        // An unknown method of a legacy request stays a 200 (only the modern revision maps it to 404).
        (status, body, _) = await SendAsync(http, Post(daemon, Request(3, "unknown/method"), version: "2025-11-25", method: null));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(-32601, (int)body["error"]!["code"]!);
    }
}
