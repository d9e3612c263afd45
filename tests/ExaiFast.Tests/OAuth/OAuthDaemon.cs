using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.OAuth;

/// <summary>
/// The real <c>exaifast</c> process in OAuth mode against a <see cref="LocalIssuer"/>, and the three ways a client
/// presents a token to it: MCP Streamable HTTP (<c>POST /mcp</c>), an MCP WebSocket upgrade, an exai-ws hello.
/// </summary>
internal sealed class OAuthDaemon : IAsyncDisposable
{
    /// <summary>The resource identifier the daemon is configured with: not its own address (it cannot know the one its
    /// clients use behind a proxy), which is the point of configuring it.</summary>
    public const string Audience = "https://mcp.example.test/mcp";

    public const string MetadataUrl = "https://mcp.example.test/.well-known/oauth-protected-resource/mcp";

    private readonly ExaiFastProcess _process;

    private OAuthDaemon(LocalIssuer issuer, ExaiFastProcess process, int port)
    {
        Issuer = issuer;
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
    }

    public LocalIssuer Issuer { get; }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Stderr => _process.Stderr;

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/");

    /// <summary>Starts an issuer and a daemon that trusts it, with <paramref name="more"/> settings besides.</summary>
    public static async Task<OAuthDaemon> StartAsync(Dictionary<string, string>? more = null, bool openIdOnly = false, LocalIssuer? issuer = null)
    {
        issuer ??= LocalIssuer.Start(openIdOnly);
        var env = new Dictionary<string, string>
        {
            ["EXAIFAST_OAUTH_ISSUER"] = issuer.Issuer,
            ["EXAIFAST_OAUTH_AUDIENCE"] = Audience,
            ["EXAIFAST_LOG_LEVEL"] = "debug",
        };
        foreach (var (key, value) in more ?? [])
        {
            env[key] = value;
        }

        try
        {
            var process = await ExaiFastProcess.StartServeAsync(env);
            return new OAuthDaemon(issuer, process, process.Port);
        }
        catch
        {
            await issuer.DisposeAsync();
            throw;
        }
    }

    public static JsonObject Initialize(int id = 1) => new()
    {
        ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "initialize",
        ["params"] = new JsonObject
        {
            ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "oauth-tests", ["version"] = "1" },
        },
    };

    /// <summary>POSTs <paramref name="message"/> to <c>/mcp</c> with <paramref name="bearer"/> (none if null).</summary>
    public async Task<HttpResponseMessage> PostAsync(JsonObject message, string? bearer, string? session = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "mcp")
        {
            Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>An MCP WebSocket upgrade that must be refused: its status and <c>WWW-Authenticate</c> (null if none).</summary>
    public async Task<(HttpStatusCode Status, string? Challenge)> RefusedUpgradeAsync(string? bearer, string? query = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("mcp");
        socket.Options.CollectHttpResponseDetails = true;
        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        var uri = query is null ? WebSocketUri : new Uri(WebSocketUri, "/?" + query);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, TestContext.Current.CancellationToken));
        string? challenge = socket.HttpResponseHeaders?.TryGetValue("WWW-Authenticate", out var values) == true ? string.Join(", ", values) : null;
        return (socket.HttpStatusCode, challenge);
    }

    /// <summary>An MCP WebSocket session opened with <paramref name="bearer"/> (or <paramref name="query"/>) that answers <c>initialize</c>.</summary>
    public async Task<JsonObject> InitializeOverWebSocketAsync(string? bearer, string? query = null)
    {
        var uri = query is null ? WebSocketUri : new Uri(WebSocketUri, "/?" + query);
        await using var client = await ExaiWsClient.ConnectAsync(uri, hello: false, subprotocol: "mcp", bearer: bearer);
        await client.SendAsync(Initialize());
        return await client.NextAsync();
    }

    /// <summary>An exai-ws hello with <paramref name="token"/>: whether it was acknowledged.</summary>
    public async Task<bool> HelloAsync(string? token)
    {
        await using var client = await ExaiWsClient.ConnectAsync(WebSocketUri, hello: false);
        var hello = new JsonObject { ["op"] = "hello" };
        if (token is not null)
        {
            hello["token"] = token;
        }

        await client.SendAsync(hello);
        var ack = await client.OpAsync("hello_ack");
        return (bool?)ack["ok"] == true;
    }

    /// <summary>Waits until the daemon has logged <paramref name="text"/> (logging is asynchronous); fails after 30 s.</summary>
    public async Task WaitForLogAsync(string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the daemon never logged '{text}':\n{Stderr}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
        await Issuer.DisposeAsync();
    }
}
