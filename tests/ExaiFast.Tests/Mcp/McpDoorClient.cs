using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Stdio;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// Our own MCP client on one of the daemon's doors — Streamable HTTP, MCP over WebSocket, or the stdio bridge (a real
/// <c>exaifast stdio</c> process) — sending a request and returning its response, so one test runs on all three.
/// </summary>
internal sealed class McpDoorClient : IAsyncDisposable
{
    private readonly ExaiWsClient? _ws;
    private readonly HttpClient? _http;
    private readonly Uri? _endpoint;
    private readonly StdioProcess? _stdio;
    private string? _session;
    private int _next;

    private McpDoorClient(ExaiWsClient? ws, HttpClient? http, Uri? endpoint, StdioProcess? stdio)
    {
        _ws = ws;
        _http = http;
        _endpoint = endpoint;
        _stdio = stdio;
    }

    /// <summary>A client on a door of a daemon, initialized.</summary>
    /// <param name="door"><c>ws</c>, <c>http</c> or <c>stdio</c>.</param>
    /// <param name="daemon">The daemon.</param>
    /// <param name="revision">The MCP revision to ask for.</param>
    /// <param name="bridgeEnv">More settings for the stdio bridge's process.</param>
    /// <param name="bearer">The daemon's token, for the WebSocket door.</param>
    public static async Task<McpDoorClient> ConnectAsync(string door, Daemon daemon, string revision = "2025-11-25", Dictionary<string, string>? bridgeEnv = null, string? bearer = null)
    {
        var client = door switch
        {
            "ws" => new McpDoorClient(await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp", bearer: bearer), null, null, null),
            "http" => new McpDoorClient(null, new HttpClient(), new Uri(daemon.HttpUri, "/mcp"), null),
            "stdio" => new McpDoorClient(null, null, null, StdioProcess.Start(new Dictionary<string, string>(bridgeEnv ?? [])
            {
                ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(CultureInfo.InvariantCulture),
            })),
            _ => throw new ArgumentOutOfRangeException(nameof(door)),
        };
        var init = await client.RequestAsync("initialize", new JsonObject
        {
            ["protocolVersion"] = revision,
            ["capabilities"] = new JsonObject(),
            ["clientInfo"] = new JsonObject { ["name"] = "door-tests", ["version"] = "1" },
        });
        Assert.Equal(revision, (string?)init["result"]?["protocolVersion"]);
        await client.NotifyAsync("notifications/initialized");
        client.InitializeResult = init["result"]!.AsObject();
        return client;
    }

    /// <summary>What <c>initialize</c> answered.</summary>
    public JsonObject InitializeResult { get; private set; } = [];

    /// <summary>Sends a request and waits for its response (a result or an error).</summary>
    public async Task<JsonObject> RequestAsync(string method, JsonObject? parameters = null, int timeoutMs = 30_000)
    {
        int id = Interlocked.Increment(ref _next);
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (_ws is not null)
        {
            await _ws.SendAsync(message);
            return await _ws.WaitForAsync(m => m["method"] is null && (int?)m["id"] == id, timeoutMs);
        }

        if (_stdio is not null)
        {
            await _stdio.SendAsync(message);
            return await _stdio.ResponseAsync(id, timeoutMs);
        }

        using var response = await PostAsync(message);
        _session ??= response.Headers.TryGetValues("Mcp-Session-Id", out var ids) ? ids.Single() : null;
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? body.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[5..])!.AsObject())
                .Single(m => m["method"] is null && (int?)m["id"] == id)
            : JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>A <c>tools/call</c>'s result (asserting it is one).</summary>
    public async Task<JsonObject> CallAsync(string tool, JsonObject arguments)
    {
        var response = await RequestAsync("tools/call", new JsonObject { ["name"] = tool, ["arguments"] = arguments });
        Assert.True(response["result"] is JsonObject, response.ToJsonString());
        return response["result"]!.AsObject();
    }

    private async Task NotifyAsync(string method)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method };
        if (_ws is not null)
        {
            await _ws.SendAsync(message);
        }
        else if (_stdio is not null)
        {
            await _stdio.SendAsync(message);
        }
        else
        {
            using var _ = await PostAsync(message);
        }
    }

    private Task<HttpResponseMessage> PostAsync(JsonObject message)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        if (_session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", _session);
        }

        return _http!.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ws is not null)
        {
            await _ws.DisposeAsync();
        }

        if (_stdio is not null)
        {
            await _stdio.DisposeAsync();
        }

        _http?.Dispose();
    }
}
