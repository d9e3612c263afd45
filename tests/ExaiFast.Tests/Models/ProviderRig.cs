using System.Diagnostics;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// A fake OpenAI-compatible server and a daemon (the real composition root) configured to use it as its
/// <c>openai</c> provider, with a long call deadline. Provider deadlines are 5 s, so that an answer on a loaded machine
/// never meets them; the tests of hangs shorten only the one they test (<see cref="ShortHeadersDeadline"/>,
/// <see cref="ShortIdleDeadline"/>), so the fault must be answered by that deadline, well before the call's — and a
/// response head that is merely late on a loaded machine never becomes the failure a stall test was waiting for.
/// </summary>
internal sealed class ProviderRig : IAsyncDisposable
{
    public const string ApiKey = "sk-fake-SECRET-0123456789abcdef";
    public const double CallTimeoutSecs = 30;

    /// <summary>A headers deadline of 0.3 s, for the tests of a server that never answers.</summary>
    public static Dictionary<string, string> ShortHeadersDeadline => new() { ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "0.3" };

    /// <summary>An idle deadline of 0.3 s between chunks, for the tests of a stream that stalls after its headers.</summary>
    public static Dictionary<string, string> ShortIdleDeadline => new() { ["EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS"] = "0.3" };

    /// <summary>The short deadline a script's hang meets, or none.</summary>
    public static Dictionary<string, string>? ShortDeadlineFor(string script) => script switch
    {
        "hang-headers" => ShortHeadersDeadline,
        "hang-stream" => ShortIdleDeadline,
        _ => null,
    };

    public static readonly string[] Scripts =
        ["answer", "stream", "reasoning", "length", "status-500", "status-502", "status-503", "flaky-503", "429-once", "429-long", "408-once", "401",
         "hang-headers", "hang-stream", "reset", "cut", "malformed", "trickle", "endless"];

    private ProviderRig(FakeOpenAIServer fake, Daemon daemon)
    {
        Fake = fake;
        Daemon = daemon;
    }

    public FakeOpenAIServer Fake { get; }

    public Daemon Daemon { get; }

    /// <summary>The value of one series of the daemon's /metrics, 0 when absent.</summary>
    public Task<double> MetricAsync(string series) => DaemonMetrics.ReadAsync(Daemon, series);

    /// <summary>Waits (bounded) until the series has <paramref name="value"/>.</summary>
    public Task MetricReachesAsync(string series, double value) => DaemonMetrics.ReachesAsync(Daemon, series, value);

    public static async Task<ProviderRig> StartAsync(Dictionary<string, string>? extra = null, Action<FakeOpenAIServer>? script = null)
    {
        var fake = FakeOpenAIServer.Start();
        script?.Invoke(fake);
        var env = new Dictionary<string, string>
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = string.Join(",", Scripts),
            ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "5",
            ["EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS"] = "5",
            ["EXAIFAST_PROVIDER_RETRY_DELAY_SECS"] = "0.01",
            ["EXAI_WS_CALL_TIMEOUT_SECS"] = CallTimeoutSecs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // High enough that the fault tests never open a breaker; the breaker tests lower them.
            ["EXAIFAST_BREAKER_MIN_THROUGHPUT"] = "1000",
            ["EXAIFAST_BREAKER_CONSECUTIVE_FAILURES"] = "1000",
        };
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        try
        {
            return new ProviderRig(fake, await Daemon.StartAsync(env));
        }
        catch
        {
            await fake.DisposeAsync();
            throw;
        }
    }

    /// <summary>Calls chat over exai-ws; returns its result frame, every frame of the call, and how long it took.</summary>
    public async Task<(JsonObject Result, List<JsonObject> Frames, TimeSpan Elapsed)> ChatAsync(string model, bool stream = false, JsonObject? more = null)
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        var arguments = new JsonObject { ["prompt"] = "Say hello.", ["model"] = model };
        if (stream)
        {
            arguments["stream"] = true;
        }

        foreach (var (key, value) in more ?? [])
        {
            arguments[key] = value?.DeepClone();
        }

        var watch = Stopwatch.StartNew();
        await client.CallAsync("c1", "chat", arguments);
        var result = await client.ResultAsync("c1", timeoutMs: 60_000);
        watch.Stop();
        return (result, [.. client.All.Where(f => (string?)f["request_id"] == "c1")], watch.Elapsed);
    }

    /// <summary>Calls chat over MCP (WebSocket); returns the tools/call result.</summary>
    public async Task<JsonObject> ChatOverMcpAsync(string model)
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri, hello: false, subprotocol: "mcp");
        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "initialize",
            ["params"] = new JsonObject { ["protocolVersion"] = "2025-06-18", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "t", ["version"] = "1" } },
        });
        await client.WaitForAsync(m => (int?)m["id"] == 1);
        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "Say hello.", ["model"] = model } },
        });
        return (await client.WaitForAsync(m => m["method"] is null && (int?)m["id"] == 2, 60_000))["result"]!.AsObject();
    }

    public async Task<string> GetAsync(string path)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(Daemon.HttpUri, path), TestContext.Current.CancellationToken);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}";
    }

    public async ValueTask DisposeAsync()
    {
        await Daemon.DisposeAsync();
        await Fake.DisposeAsync();
    }
}
