using System.Net;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Dashboard;

/// <summary>
/// <c>/dashboard</c> and <c>/dashboard/data</c> over real HTTP, from the real composition root with a fake
/// OpenAI-compatible server as its provider: the page is served to anyone and holds nothing secret; the data follows the
/// token rules of every door, counts what happened, and never carries the token or the provider's key.
/// </summary>
public class DashboardEndpointTests
{
    private const string Token = "dash-T0KEN-77aa01bc";

    [Fact]
    public async Task TheData_RequiresTheTokenAsABearerHeader_NeverInTheUrl()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await StartAsync(fake, Token);
        using var http = new HttpClient();

        using (var none = await http.GetAsync(Url(daemon, "/dashboard/data"), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
            Assert.DoesNotContain("\"calls\"", await none.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using (var wrong = await GetAsync(http, Url(daemon, "/dashboard/data"), "not-the-token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var inQuery = await http.GetAsync(Url(daemon, "/dashboard/data?token=" + Token), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, inQuery.StatusCode); // plain HTTP: a URL ends up in proxies' logs
        }

        using var right = await GetAsync(http, Url(daemon, "/dashboard/data"), Token);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("application/json", right.Content.Headers.ContentType!.MediaType);
        Assert.True(right.Headers.CacheControl!.NoStore);
        Assert.Equal("nosniff", right.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.NotNull(JsonNode.Parse(await right.Content.ReadAsStringAsync(Ct))!["calls"]);

        using var post = new HttpRequestMessage(HttpMethod.Post, Url(daemon, "/dashboard/data")) { Content = new StringContent("{}") };
        post.Headers.Authorization = new("Bearer", Token);
        using var posted = await http.SendAsync(post, Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, posted.StatusCode);
    }

    [Fact]
    public async Task AForeignBrowserOrigin_GetsNoData_EvenWithTheToken()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await StartAsync(fake, Token);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(daemon, "/dashboard/data"));
        request.Headers.Authorization = new("Bearer", Token);
        request.Headers.Add("Origin", "http://evil.example");
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task WithoutAConfiguredToken_TheDataIsOpen_AsEveryDoorOfSuchADaemonIs()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await StartAsync(fake, token: null);
        using var http = new HttpClient();
        using var response = await http.GetAsync(Url(daemon, "/dashboard/data"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ThePage_IsServedWithoutTheToken_HoldsNoData_AndCarriesItsSecurityHeaders()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await StartAsync(fake, Token);
        await ChatAsync(daemon, "answer"); // something to show, were the page to carry data
        using var http = new HttpClient();
        using var response = await http.GetAsync(Url(daemon, "/dashboard"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        string html = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(Token, html, StringComparison.Ordinal);
        Assert.DoesNotContain(ProviderRig.ApiKey, html, StringComparison.Ordinal);
        Assert.DoesNotContain("openai", html, StringComparison.Ordinal); // the provider's name: the page has no data in it
        Assert.DoesNotContain("http:", html, StringComparison.Ordinal); // nothing from elsewhere: no CDN, no fonts
        Assert.DoesNotContain("https:", html, StringComparison.Ordinal);

        string policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("default-src 'none'; script-src 'sha256-", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(response.Headers.CacheControl!.NoStore);
    }

    [Fact]
    public async Task TheData_CountsCallsTokensLanesAndBreakers_AndCarriesNoSecret()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await StartAsync(fake, Token);
        await ChatAsync(daemon, "answer");
        await ChatAsync(daemon, "answer");

        string text = await DataAsync(daemon);
        Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ProviderRig.ApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
        Assert.DoesNotContain(fake.BaseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), text, StringComparison.Ordinal); // no upstream URL

        var data = JsonNode.Parse(text)!;
        Assert.Equal(2, (int)data["calls"]!["ok"]!);
        Assert.Equal(0, (int)data["calls"]!["error"]!);
        Assert.Equal(2, data["latency"]!["counts"]!.AsArray().Sum(c => (long)c!));
        Assert.Equal(data["latency"]!["bounds_ms"]!.AsArray().Count + 1, data["latency"]!["counts"]!.AsArray().Count);
        var usage = data["usage"]!.AsArray().Single(u => (string?)u!["model"] == "answer")!;
        Assert.Equal("openai", (string?)usage["provider"]);
        Assert.Equal(2, (int)usage["requests"]!);
        Assert.Equal(24, (int)usage["prompt_tokens"]!); // the fake reports 12 and 6 per answer
        Assert.Equal(12, (int)usage["completion_tokens"]!);
        var openai = data["providers"]!.AsArray().Single(p => (string?)p!["name"] == "openai")!;
        Assert.Equal("closed", (string?)openai["state"]);
        Assert.Equal("closed", (string?)openai["models"]!.AsArray().Single(m => (string?)m!["model"] == "answer")!["state"]);
        Assert.Equal("memory", (string?)data["store"]!["kind"]);
        Assert.Equal("normal", (string?)data["memory"]!["level"]);
        Assert.InRange((long)data["memory"]!["high_water_bytes"]!, 1, (long)data["memory"]!["critical_bytes"]! - 1);
    }

    [Fact]
    public async Task TheConnections_CountAWebSocketAndItsSession_WhileTheyAreOpen_ThenGoBack()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await StartAsync(fake, Token);

        // Every count is read through a request of its own: that request's connection is one of the TCP connections.
        var before = await WaitForConnectionsAsync(daemon, c => (int)c["websockets"]! == 0, "no WebSocket");
        int sessions = (int)before["sessions"]!;
        JsonNode open;
        await using (var client = await ExaiWsClient.ConnectAsync(daemon.Uri, token: Token))
        {
            open = await WaitForConnectionsAsync(daemon, c => (int)c["websockets"]! == 1, "the exai-ws client's WebSocket");
            Assert.Equal(sessions + 1, (int)open["sessions"]!);
            Assert.InRange((int)open["tcp"]!, 2, int.MaxValue); // the WebSocket's and this request's

            await using var mcp = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp", bearer: Token);
            await mcp.SendAsync(new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "initialize",
                ["params"] = new JsonObject { ["protocolVersion"] = "2025-06-18", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "t", ["version"] = "1" } },
            });
            await mcp.WaitForAsync(m => (int?)m["id"] == 1);
            var both = await WaitForConnectionsAsync(daemon, c => (int)c["websockets"]! == 2, "an MCP WebSocket beside it");
            Assert.Equal(sessions + 2, (int)both["sessions"]!);
            Assert.InRange((int)both["tcp"]!, 3, int.MaxValue);
        }

        await WaitForConnectionsAsync(daemon, c => (int)c["websockets"]! == 0 && (int)c["tcp"]! < (int)open["tcp"]!, "both WebSockets closed");
    }

    [Fact]
    public async Task TheData_ShowsEachLanesCallsInFlightAndQueued_WhileTheyAre()
    {
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Hold = hold.Task;
        await using var daemon = await StartAsync(fake, Token, new() { ["EXAI_WS_OPENAI_MAX_INFLIGHT"] = "1" });

        // One runs (held at the server), two wait in the lane's queue.
        // Prompts of their own: identical concurrent calls would share one execution (single-flight).
        var first = ChatAsync(daemon, "stream", stream: true, prompt: "First.");
        await fake.WaitForHeldAsync(1);
        Task[] waiting = [ChatAsync(daemon, "stream", stream: true, prompt: "Second."), ChatAsync(daemon, "stream", stream: true, prompt: "Third.")];
        var busy = await WaitForLaneAsync(daemon, running: 1, queued: 2);
        Assert.Equal(3, (int)busy["calls"]!["inflight"]!);
        Assert.Equal(2, (int)busy["calls"]!["queued"]!);
        Assert.Equal(1, (int)busy["lanes"]!.AsArray().Single(l => (string?)l!["name"] == "openai")!["slots"]!);

        hold.SetResult();
        await first;
        await Task.WhenAll(waiting);
        var idle = await WaitForLaneAsync(daemon, running: 0, queued: 0);
        Assert.Equal(3, (int)idle["calls"]!["ok"]!);
        Assert.Equal(0, (int)idle["calls"]!["inflight"]!);
    }

    [Fact]
    public async Task AModelFailingEveryCall_ShowsItsBreakerOpen_AndItsErrors()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await StartAsync(fake, Token, new()
        {
            ["OPENAI_COMPATIBLE_MODELS"] = "answer,status-500",
            ["EXAIFAST_BREAKER_CONSECUTIVE_FAILURES"] = "2",
            ["EXAIFAST_BREAKER_BREAK_SECS"] = "600",
            ["EXAIFAST_PROVIDER_RETRIES"] = "0",
        });
        await ChatAsync(daemon, "answer");
        await ChatAsync(daemon, "status-500", ok: false);
        await ChatAsync(daemon, "status-500", ok: false);

        var data = JsonNode.Parse(await DataAsync(daemon))!;
        var openai = data["providers"]!.AsArray().Single(p => (string?)p!["name"] == "openai")!;
        Assert.Equal("closed", (string?)openai["state"]); // its other model still answers
        var failing = openai["models"]!.AsArray().Single(m => (string?)m!["model"] == "status-500")!;
        Assert.Equal("open", (string?)failing["state"]);
        Assert.InRange((double)failing["retry_after_s"]!, 1, 600);
        Assert.Equal(2, (int)data["calls"]!["error"]!);
        Assert.Equal(1, (int)data["calls"]!["ok"]!);
        var usage = data["usage"]!.AsArray().Single(u => (string?)u!["model"] == "status-500")!;
        Assert.Equal(0, (int)usage["requests"]!);
        Assert.Equal(2, (int)usage["errors"]!);
    }

    [Fact]
    public async Task TheStore_ShowsRedisUp_ThenDownWhenItStops_ThenUpAgain()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await StartAsync(fake, Token, new() { ["REDIS_URL"] = redis.Url });

        await WaitForStoreAsync(daemon, up: true);
        await redis.StopAsync();
        await WaitForStoreAsync(daemon, up: false);
        await redis.StartAsync();
        string text = await WaitForStoreAsync(daemon, up: true);
        Assert.DoesNotContain("redis://", text, StringComparison.Ordinal);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Uri Url(Daemon daemon, string path) => new(daemon.HttpUri, path);

    private static async Task<Daemon> StartAsync(FakeOpenAIServer fake, string? token, Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = "answer,stream",
        };
        if (token is not null)
        {
            env["EXAI_WS_TOKEN"] = token;
        }

        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        return await Daemon.StartAsync(env);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, Uri url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new("Bearer", token);
        return await http.SendAsync(request, Ct);
    }

    private static async Task<string> DataAsync(Daemon daemon)
    {
        using var http = new HttpClient();
        using var response = await GetAsync(http, Url(daemon, "/dashboard/data"), Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    // Bounded polling of the data until the openai lane shows the load: the calls get there at their own pace.
    private static async Task<JsonNode> WaitForLaneAsync(Daemon daemon, int running, int queued)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            var data = JsonNode.Parse(await DataAsync(daemon))!;
            var lane = data["lanes"]!.AsArray().Single(l => (string?)l!["name"] == "openai")!;
            if ((int)lane["running"]! == running && (int)lane["queued"]! == queued)
            {
                return data;
            }

            Assert.True(Environment.TickCount64 < deadline, $"the openai lane never showed {running} running and {queued} queued: {lane.ToJsonString()}");
            await Task.Delay(20, Ct);
        }
    }

    // Bounded polling of data.connections until it shows what is expected: a connection is counted, and forgotten, by
    // the daemon's own threads a moment after the client's side is done.
    private static async Task<JsonNode> WaitForConnectionsAsync(Daemon daemon, Func<JsonNode, bool> shows, string what)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            var connections = JsonNode.Parse(await DataAsync(daemon))!["connections"]!;
            if (shows(connections))
            {
                return connections;
            }

            Assert.True(Environment.TickCount64 < deadline, $"the connections never showed {what}: {connections.ToJsonString()}");
            await Task.Delay(20, Ct);
        }
    }

    private static async Task<string> WaitForStoreAsync(Daemon daemon, bool up)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            string text = await DataAsync(daemon);
            var store = JsonNode.Parse(text)!["store"]!;
            Assert.Equal("redis", (string?)store["kind"]);
            if ((bool)store["up"]! == up)
            {
                return text;
            }

            Assert.True(Environment.TickCount64 < deadline, $"the store never showed up={up}: {store.ToJsonString()}");
            await Task.Delay(50, Ct);
        }
    }

    private static async Task ChatAsync(Daemon daemon, string model, bool stream = false, bool ok = true, string prompt = "Say hello.")
    {
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, token: Token);
        var arguments = new JsonObject { ["prompt"] = prompt, ["model"] = model };
        if (stream)
        {
            arguments["stream"] = true;
        }

        await client.CallAsync("c1", "chat", arguments);
        var result = await client.ResultAsync("c1", timeoutMs: 60_000);
        Assert.True((bool)result["ok"]! == ok, result.ToJsonString());
    }
}
