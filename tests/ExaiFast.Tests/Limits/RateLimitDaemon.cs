using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Limits;

/// <summary>What the rate-limit tests do to a daemon: calls over each door from a chosen address, and its counters.</summary>
internal static class RateLimitDaemon
{
    /// <summary>An exai-ws session from <paramref name="local"/>.</summary>
    public static Task<ExaiWsClient> ExaiWsAsync(Daemon daemon, IPAddress local, string? sessionId = null) =>
        ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: sessionId, invoker: new HttpMessageInvoker(LoopbackClients.Handler(local)));

    /// <summary>An MCP-over-WebSocket session from <paramref name="local"/>.</summary>
    public static Task<ExaiWsClient> McpAsync(Daemon daemon, IPAddress local) =>
        ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp", invoker: new HttpMessageInvoker(LoopbackClients.Handler(local)));

    /// <summary>One exai-ws call_tool of the local model's chat: its call_tool_res.</summary>
    public static async Task<JsonObject> CallAsync(ExaiWsClient client, string requestId)
    {
        await client.CallAsync(requestId, "chat", new JsonObject { ["prompt"] = "hello " + requestId });
        return await client.ResultAsync(requestId);
    }

    /// <summary>One MCP tools/call of chat over WebSocket: the response's result.</summary>
    public static async Task<JsonObject> McpCallAsync(ExaiWsClient client, int id)
    {
        await client.SendAsync(ToolsCall(id));
        var response = await client.WaitForAsync(m => m["method"] is null && (int?)m["id"] == id);
        return response["result"]!.AsObject();
    }

    /// <summary>An MCP Streamable HTTP session: its Mcp-Session-Id.</summary>
    public static async Task<string> HttpInitializeAsync(Daemon daemon, HttpClient http)
    {
        var initialize = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = 0,
            ["method"] = "initialize",
            ["params"] = new JsonObject { ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "rate-tests", ["version"] = "1" } },
        };
        using var response = await http.SendAsync(Post(daemon, initialize, session: null), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Mcp-Session-Id").Single();
    }

    /// <summary>One MCP tools/call of chat POSTed from <paramref name="http"/>, in <paramref name="session"/> or stateless
    /// (null): the status and the response's result.</summary>
    public static async Task<(HttpStatusCode Status, JsonObject? Result)> HttpCallAsync(Daemon daemon, HttpClient http, int id, string? session = null)
    {
        using var request = Post(daemon, ToolsCall(id), session);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonNode.Parse(body)!["result"]!.AsObject() : null);
    }

    /// <summary>Asserts an exai-ws refusal by a rate limit: OVER_CAPACITY, and a retry_after above 0 and at most <paramref name="maxRetryAfter"/> s.</summary>
    public static void AssertRefused(JsonObject result, string requestId, double maxRetryAfter)
    {
        Assert.Equal("call_tool_res", (string?)result["op"]);
        Assert.Equal(requestId, (string?)result["request_id"]);
        Assert.False((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("OVER_CAPACITY", (string?)result["error"]!["code"]);
        Assert.Contains("rate limit", (string?)result["error"]!["message"], StringComparison.Ordinal);
        double retryAfter = (double)result["error"]!["retry_after"]!;
        Assert.InRange(retryAfter, 0.001, maxRetryAfter);
    }

    /// <summary>Asserts an MCP refusal by a rate limit: a tool error the model reads, saying when to retry.</summary>
    public static void AssertMcpRefused(JsonObject result, double maxRetryAfter)
    {
        Assert.True((bool)result["isError"]!, result.ToJsonString());
        string text = (string)result["content"]![0]!["text"]!;
        Assert.StartsWith("OVER_CAPACITY: ", text, StringComparison.Ordinal);
        Assert.Contains("retry after ", text, StringComparison.Ordinal);
        var error = result["_meta"]!["exaifast/error"]!;
        Assert.Equal("OVER_CAPACITY", (string?)error["code"]);
        Assert.InRange((double)error["retry_after"]!, 0.001, maxRetryAfter);
    }

    /// <summary>Asserts a call that was served: exai-ws ok, or an MCP result that is no error.</summary>
    public static void AssertServed(JsonObject result) =>
        Assert.True(result["op"] is null ? result["isError"] is null || !(bool)result["isError"]! : (bool)result["ok"]!, result.ToJsonString());

    /// <summary>A counter or gauge as the daemon's registry exports it now (the scrape-time callbacks run first).</summary>
    public static async Task<double> MetricAsync(Daemon daemon, string name, string limitLabel, string label = "limit")
    {
        using var stream = new MemoryStream();
        await daemon.Server.Metrics.ExportAsync(stream, TestContext.Current.CancellationToken);
        string text = Encoding.UTF8.GetString(stream.ToArray());
        var match = Regex.Match(text, $"^{name}\\{{{label}=\"{limitLabel}\"\\}} (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static HttpRequestMessage Post(Daemon daemon, JsonObject message, string? session)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp"))
        {
            Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return request;
    }

    private static JsonObject ToolsCall(int id) => new()
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id,
        ["method"] = "tools/call",
        ["params"] = new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "hello " + id } },
    };
}
