using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// The circuit breaker per provider: it opens on a failure ratio, then turns calls into PROVIDER_UNAVAILABLE with
/// retry_after at once (no upstream request), shows in /metrics, status, health and /ready, and half-opens after its break.
/// It counts calls, not attempts: one failure per call after its retries, a failure after the response headers (cut,
/// stalled or malformed stream) as one, and a client's cancel or the call's own deadline as nothing.
/// </summary>
public class ProviderBreakerTests
{
    // Two requests, both failed (100% ≥ 50%): open. No retries, so each call is one request.
    private static Dictionary<string, string> Breaker(double breakSecs, int minThroughput = 2, int retries = 0) => new()
    {
        ["EXAIFAST_BREAKER_MIN_THROUGHPUT"] = minThroughput.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EXAIFAST_BREAKER_FAILURE_PERCENT"] = "50",
        ["EXAIFAST_BREAKER_BREAK_SECS"] = breakSecs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EXAIFAST_PROVIDER_RETRIES"] = retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static async Task AssertClosedAsync(ProviderRig rig)
    {
        var (result, _, _) = await rig.ChatAsync("answer");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Contains("exaifast_provider_breaker_state{provider=\"openai\"} 0", await rig.GetAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenBreaker_RefusesAtOnce_WithRetryAfter_AndShowsEverywhere()
    {
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 30));
        Assert.StartsWith("200", await rig.GetAsync("/ready"), StringComparison.Ordinal);
        for (int i = 0; i < 2; i++)
        {
            var (failed, _, _) = await rig.ChatAsync("status-500");
            Assert.Equal("PROVIDER_ERROR", (string?)failed["error"]!["code"]);
        }

        var (result, _, elapsed) = await rig.ChatAsync("answer");
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)result["error"]!["code"]);
        Assert.Contains("circuit breaker is open", (string?)result["error"]!["message"], StringComparison.Ordinal);
        Assert.InRange((double)result["error"]!["retry_after"]!, 1, 30);
        Assert.Equal(0, rig.Fake.Attempts("answer")); // refused without asking upstream
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed}");

        var mcp = await rig.ChatOverMcpAsync("answer");
        Assert.True((bool)mcp["isError"]!);
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)mcp["_meta"]!["exaifast/error"]!["code"]);

        string ready = await rig.GetAsync("/ready");
        Assert.StartsWith("503", ready, StringComparison.Ordinal); // the only configured provider is open
        Assert.Contains("\"models\":false", ready, StringComparison.Ordinal);
        Assert.Contains("exaifast_provider_breaker_state{provider=\"openai\"} 2", await rig.GetAsync("/metrics"), StringComparison.Ordinal);
        Assert.Contains("exaifast_provider_errors_total{provider=\"openai\",model=\"answer\",kind=\"CircuitOpen\"}", await rig.GetAsync("/metrics"), StringComparison.Ordinal);

        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        await client.SendAsync(new JsonObject { ["op"] = "health" });
        var health = await client.OpAsync("health_res");
        Assert.Equal("unavailable", (string?)health["health"]!["providers"]!["openai"]!["state"]);
        Assert.Equal("available", (string?)health["health"]!["providers"]!["local"]!["state"]);
        await client.CallAsync("s1", "status");
        Assert.Contains("openai unavailable (circuit open)", (string?)(await client.ResultAsync("s1"))["text"], StringComparison.Ordinal);
        await client.CallAsync("l1", "listmodels");
        Assert.Contains("openai (unavailable: circuit open)", (string?)(await client.ResultAsync("l1"))["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenBreaker_HalfOpensAfterItsBreak_AndATrialSuccessClosesIt()
    {
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 0.5));
        for (int i = 0; i < 2; i++)
        {
            await rig.ChatAsync("status-500");
        }

        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)(await rig.ChatAsync("answer")).Result["error"]!["code"]);

        // Past the break (a lower bound on a wait, never a race), a trial goes through and closes the breaker.
        await Task.Delay(TimeSpan.FromSeconds(0.7), TestContext.Current.CancellationToken);
        var (result, _, _) = await rig.ChatAsync("answer");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.StartsWith("200", await rig.GetAsync("/ready"), StringComparison.Ordinal);
        Assert.Contains("exaifast_provider_breaker_state{provider=\"openai\"} 0", await rig.GetAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientErrors_DoNotOpenTheBreaker()
    {
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 30));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync("401")).Result["error"]!["code"]);
        }

        Assert.True((bool)(await rig.ChatAsync("answer")).Result["ok"]!);
    }

    [Fact]
    public async Task ACallThatFailsAfterItsRetries_CountsOnce_NotOncePerAttempt()
    {
        // 3 calls in the window before the ratio counts. The failed call made 3 attempts: counted per attempt, that alone
        // was 3 failures of 3 and opened the breaker.
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 30, minThroughput: 3, retries: 2));
        Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync("status-500")).Result["error"]!["code"]);
        Assert.Equal(3, rig.Fake.Attempts("status-500"));
        await AssertClosedAsync(rig);
        await AssertClosedAsync(rig); // 1 failure in 3 calls
    }

    [Fact]
    public async Task ACallThatAnswersAfterARetry_IsNoFailure()
    {
        // An answer, then a call whose first attempt gets 503 and whose retry answers. Counted per attempt, that 503 was
        // 1 failure in 2 — open at 50%, and the retry itself refused by the breaker.
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 30, retries: 2));
        await AssertClosedAsync(rig);
        var (result, _, _) = await rig.ChatAsync("flaky-503");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(2, rig.Fake.Attempts("flaky-503"));
        await AssertClosedAsync(rig);
    }

    [Theory]
    [InlineData("cut")]
    [InlineData("malformed")]
    [InlineData("hang-stream")] // the idle deadline between chunks
    [InlineData("reset")]
    public async Task AFailureAfterTheHeaders_CountsAgainstTheBreaker(string script)
    {
        var settings = Breaker(breakSecs: 30);
        foreach (var (key, value) in ProviderRig.ShortDeadlines)
        {
            settings[key] = value;
        }

        await using var rig = await ProviderRig.StartAsync(settings);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync(script)).Result["error"]!["code"]);
        }

        var (result, _, _) = await rig.ChatAsync("answer");
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)result["error"]!["code"]);
        Assert.Equal(0, rig.Fake.Attempts("answer"));
        Assert.Contains("exaifast_provider_breaker_state{provider=\"openai\"} 2", await rig.GetAsync("/metrics"), StringComparison.Ordinal);
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

        await AssertClosedAsync(rig); // counted, the two cancels were 2 failures of 2
        Assert.DoesNotContain("kind=\"CircuitOpen\"", await rig.GetAsync("/metrics"), StringComparison.Ordinal);
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
        await AssertClosedAsync(rig);
    }
}
