using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// The circuit breaker of each of a provider's models (deployments), by its failure ratio: it opens on the ratio, then
/// turns calls to that model into PROVIDER_UNAVAILABLE with retry_after at once (no upstream request), shows in /metrics,
/// status, health and /ready, and half-opens after its break. It counts calls, not attempts: one failure per call after
/// its retries, a failure after the response headers (cut, stalled or malformed stream) as one, and a client's cancel or
/// the call's own deadline as nothing. (The count of failures in a row, and one model failing among healthy ones:
/// <see cref="DeploymentBreakerDaemonTests"/>.)
/// </summary>
public class ProviderBreakerTests
{
    // Two calls to a model, both failed (100% ≥ 50%): open. No retries, so each call is one request. The count of
    // failures in a row stays out of reach (the rig's 1000), so the ratio is what is tested.
    private static Dictionary<string, string> Breaker(double breakSecs, int minThroughput = 2, int retries = 0) => new()
    {
        ["EXAIFAST_BREAKER_MIN_THROUGHPUT"] = minThroughput.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EXAIFAST_BREAKER_FAILURE_PERCENT"] = "50",
        ["EXAIFAST_BREAKER_BREAK_SECS"] = breakSecs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EXAIFAST_PROVIDER_RETRIES"] = retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string State(string model) => $"exaifast_deployment_breaker_state{{provider=\"openai\",model=\"{model}\"}}";

    /// <summary>A call to <paramref name="model"/> answers, and its breaker is closed.</summary>
    private static async Task AssertClosedAsync(ProviderRig rig, string model)
    {
        var (result, _, _) = await rig.ChatAsync(model);
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Contains(State(model) + " 0", await rig.GetAsync("/metrics"), StringComparison.Ordinal);
    }

    /// <summary>The breaker of <paramref name="model"/>, which has been asked, is closed.</summary>
    private static async Task AssertNotOpenedAsync(ProviderRig rig, string model)
    {
        string metrics = await rig.GetAsync("/metrics");
        Assert.Contains(State(model) + " 0", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("kind=\"CircuitOpen\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenBreaker_RefusesAtOnce_WithRetryAfter_AndShowsEverywhere()
    {
        // Refusals are checked while the break lasts: a break no loaded machine outlasts.
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 600));
        Assert.StartsWith("200", await rig.GetAsync("/ready"), StringComparison.Ordinal);
        for (int i = 0; i < 2; i++)
        {
            var (failed, _, _) = await rig.ChatAsync("status-500");
            Assert.Equal("PROVIDER_ERROR", (string?)failed["error"]!["code"]);
        }

        var (result, _, _) = await rig.ChatAsync("status-500");
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)result["error"]!["code"]);
        Assert.Contains("circuit breaker is open", (string?)result["error"]!["message"], StringComparison.Ordinal);
        Assert.InRange((double)result["error"]!["retry_after"]!, 1, 600);
        Assert.Equal(2, rig.Fake.Attempts("status-500")); // refused without asking upstream

        var mcp = await rig.ChatOverMcpAsync("status-500");
        Assert.True((bool)mcp["isError"]!);
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)mcp["_meta"]!["exaifast/error"]!["code"]);

        string ready = await rig.GetAsync("/ready");
        Assert.StartsWith("503", ready, StringComparison.Ordinal); // the only model the only provider was asked for is open
        Assert.Contains("\"models\":false", ready, StringComparison.Ordinal);
        string metrics = await rig.GetAsync("/metrics");
        Assert.Contains("exaifast_provider_breaker_state{provider=\"openai\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains(State("status-500") + " 2", metrics, StringComparison.Ordinal);
        Assert.Contains("exaifast_provider_errors_total{provider=\"openai\",model=\"status-500\",kind=\"CircuitOpen\"} 2", metrics, StringComparison.Ordinal);

        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        await client.SendAsync(new JsonObject { ["op"] = "health" });
        var health = await client.OpAsync("health_res");
        Assert.Equal("unavailable", (string?)health["health"]!["providers"]!["openai"]!["state"]);
        Assert.Equal("available", (string?)health["health"]!["providers"]!["local"]!["state"]);
        await client.CallAsync("s1", "status");
        Assert.Contains("openai unavailable (circuit open) [status-500: circuit open, probe in ", (string?)(await client.ResultAsync("s1"))["text"], StringComparison.Ordinal);
        await client.CallAsync("l1", "listmodels");
        string models = (string)(await client.ResultAsync("l1"))["text"]!;
        Assert.Contains("openai (unavailable: circuit open)", models, StringComparison.Ordinal);
        Assert.Contains("  - status-500 (unavailable: circuit open)\n", models, StringComparison.Ordinal);
        Assert.Contains("  - answer\n", models, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenBreaker_HalfOpensAfterItsBreak_AndATrialSuccessClosesIt()
    {
        // A model that fails, then recovers. Nothing here needs a call to come before the break's end (the refusal while
        // open is the test above's, with a break no machine outlasts): the end of the break is waited for as the
        // half-open state in /metrics.
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 0.5), f => f.Behaviors["stream"] = "status-500");
        for (int i = 0; i < 2; i++)
        {
            await rig.ChatAsync("stream");
        }

        await rig.MetricReachesAsync("exaifast_deployment_breaker_opened_total{provider=\"openai\",model=\"stream\"}", 1);
        rig.Fake.Behaviors.TryRemove("stream", out _);
        await rig.MetricReachesAsync(State("stream"), 1);
        var (result, _, _) = await rig.ChatAsync("stream");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(3, rig.Fake.Attempts("stream")); // the trial went upstream
        Assert.StartsWith("200", await rig.GetAsync("/ready"), StringComparison.Ordinal);
        string metrics = await rig.GetAsync("/metrics");
        Assert.Contains(State("stream") + " 0", metrics, StringComparison.Ordinal);
        Assert.Contains("exaifast_provider_breaker_state{provider=\"openai\"} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientErrors_DoNotOpenTheBreaker()
    {
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 30));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync("401")).Result["error"]!["code"]);
        }

        Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync("401")).Result["error"]!["code"]); // asked, not refused
        Assert.Equal(4, rig.Fake.Attempts("401"));
        await AssertNotOpenedAsync(rig, "401");
    }

    [Fact]
    public async Task ACallThatFailsAfterItsRetries_CountsOnce_NotOncePerAttempt()
    {
        // 3 calls in the window before the ratio counts. The failed call made 3 attempts: counted per attempt, that alone
        // was 3 failures of 3 and opened the breaker.
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 30, minThroughput: 3, retries: 2), f => f.Behaviors["stream"] = "status-500");
        Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync("stream")).Result["error"]!["code"]);
        Assert.Equal(3, rig.Fake.Attempts("stream"));
        rig.Fake.Behaviors.TryRemove("stream", out _);
        await AssertClosedAsync(rig, "stream");
        await AssertClosedAsync(rig, "stream"); // 1 failure in 3 calls
    }

    [Fact]
    public async Task ACallThatAnswersAfterARetry_IsNoFailure()
    {
        // A call whose first attempt gets 503 and whose retry answers, then another call. Counted per attempt, that 503
        // was 1 failure in 2 — open at 50%, and the next call refused by the breaker.
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 30, retries: 2));
        var (result, _, _) = await rig.ChatAsync("flaky-503");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(2, rig.Fake.Attempts("flaky-503"));
        await AssertClosedAsync(rig, "flaky-503"); // the script answers every attempt after its first
        Assert.Equal(3, rig.Fake.Attempts("flaky-503"));
    }

    [Theory]
    [InlineData("cut")]
    [InlineData("malformed")]
    [InlineData("hang-stream")] // the idle deadline between chunks
    [InlineData("reset")]
    public async Task AFailureAfterTheHeaders_CountsAgainstTheBreaker(string script)
    {
        // Only the idle deadline is short (for hang-stream, which sends its head and then falls silent): a short headers
        // deadline would let a response head that is merely late on a loaded machine count as the failure wanted here.
        var settings = Breaker(breakSecs: 600);
        foreach (var (key, value) in ProviderRig.ShortIdleDeadline)
        {
            settings[key] = value;
        }

        await using var rig = await ProviderRig.StartAsync(settings);
        for (int i = 0; i < 2; i++)
        {
            var (failed, _, _) = await rig.ChatAsync(script);
            Assert.Equal("PROVIDER_ERROR", (string?)failed["error"]!["code"]);
            Assert.DoesNotContain("no response within", (string?)failed["error"]!["message"], StringComparison.Ordinal); // after the headers
        }

        var (result, _, _) = await rig.ChatAsync(script);
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)result["error"]!["code"]);
        Assert.Equal(2, rig.Fake.Attempts(script));
        Assert.Contains(State(script) + " 2", await rig.GetAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientsCancel_NeverCounts()
    {
        var settings = Breaker(breakSecs: 30);
        settings["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "60"; // only the cancel ends the request
        await using var rig = await ProviderRig.StartAsync(settings);
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        for (int i = 0; i < 2; i++)
        {
            await client.CallAsync($"c{i}", "chat", new JsonObject { ["prompt"] = "hi", ["model"] = "hang-headers" });
            var deadline = Environment.TickCount64 + 20_000;
            while (rig.Fake.Attempts("hang-headers") <= i)
            {
                Assert.True(Environment.TickCount64 < deadline, "the request never reached the server");
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            await client.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = $"c{i}" });
            Assert.Equal("CANCELLED", (string?)(await client.ResultAsync($"c{i}"))["error"]!["code"]);
            await rig.Fake.WaitForNoOpenRequestsAsync();
        }

        await AssertNotOpenedAsync(rig, "hang-headers"); // counted, the two cancels were 2 failures of 2
    }

    [Fact]
    public async Task TheCallsOwnDeadline_NeverCounts()
    {
        // The call's deadline (2 s) comes before the provider's (60 s): the provider was not given its time.
        var settings = Breaker(breakSecs: 30);
        settings["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "60";
        settings["EXAI_WS_CALL_TIMEOUT_SECS"] = "2";
        await using var rig = await ProviderRig.StartAsync(settings);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal("TIMEOUT", (string?)(await rig.ChatAsync("hang-headers")).Result["error"]!["code"]);
        }

        await rig.Fake.WaitForNoOpenRequestsAsync();
        await AssertNotOpenedAsync(rig, "hang-headers");
    }
}
