using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// The circuit breaker per provider: it opens on a failure ratio, then turns calls into PROVIDER_UNAVAILABLE with
/// retry_after at once (no upstream request), shows in /metrics, status, health and /ready, and half-opens after its break.
/// </summary>
public class ProviderBreakerTests
{
    // Two requests, both failed (100% ≥ 50%): open. No retries, so each call is one request.
    private static Dictionary<string, string> Breaker(double breakSecs) => new()
    {
        ["EXAIFAST_BREAKER_MIN_THROUGHPUT"] = "2",
        ["EXAIFAST_BREAKER_FAILURE_PERCENT"] = "50",
        ["EXAIFAST_BREAKER_BREAK_SECS"] = breakSecs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EXAIFAST_PROVIDER_RETRIES"] = "0",
    };

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
}
