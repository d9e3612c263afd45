using System.Text.Json.Nodes;
using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Budgets;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Redis;
using Microsoft.Extensions.Time.Testing;

namespace ExaiFast.Tests.Models;

/// <summary>
/// Token budgets through the real daemon and a model server that reports large usage (10,000 prompt tokens a request):
/// each budget lets calls through until what is spent plus the next request's estimate would pass it, then refuses with
/// BUDGET_EXCEEDED — naming the budget, what is left and when it resets — before anything is sent upstream.
/// </summary>
public class TokenBudgetTests
{
    private const int PromptTokens = 10_000;

    [Theory]
    [InlineData("EXAIFAST_MAX_TOKENS_PER_DAY", "25000", "the daily token budget (EXAIFAST_MAX_TOKENS_PER_DAY=25,000)", false, "30,015 of 25,000 daily")]
    [InlineData("EXAIFAST_MAX_TOKENS_PER_DAY_BY_PROVIDER", "openai=25000", "openai's daily token budget (EXAIFAST_MAX_TOKENS_PER_DAY_BY_PROVIDER openai=25,000)", false, "openai 30,015 of 25,000 daily")]
    [InlineData("EXAIFAST_MAX_TOKENS_PER_SESSION_PER_DAY", "25000", "this session's daily token budget (EXAIFAST_MAX_TOKENS_PER_SESSION_PER_DAY=25,000)", true, "25,000 per session daily")]
    public async Task ABudget_RefusesTheRequestThatWouldPassIt_BeforeItIsSent(string setting, string value, string named, bool otherSessionsGoOn, string spent)
    {
        await using var rig = await ProviderRig.StartAsync(new() { [setting] = value }, fake => fake.PromptTokens = PromptTokens);
        await using var first = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        // 10,005 tokens a call: the third (20,010 spent) still fits, the fourth (30,015 spent) does not.
        for (int i = 1; i <= 3; i++)
        {
            var answered = await ChatAsync(first, $"ok{i}");
            Assert.True((bool)answered["ok"]!, answered.ToJsonString());
        }

        int sent = rig.Fake.RequestCount;
        var refused = await ChatAsync(first, "refused");
        Assert.False((bool)refused["ok"]!, refused.ToJsonString());
        Assert.Equal("BUDGET_EXCEEDED", (string?)refused["error"]!["code"]);
        string message = (string)refused["error"]!["message"]!;
        Assert.StartsWith(named + " would be passed: 0 tokens are left today", message, StringComparison.Ordinal);
        Assert.Contains("it resets at 00:00 UTC", message, StringComparison.Ordinal);
        Assert.InRange((double)refused["error"]!["retry_after"]!, 1, 86_400);
        Assert.Equal(sent, rig.Fake.RequestCount); // not sent

        // The status tool tells the spend per model and against the budget.
        await first.CallAsync("status", "status", new JsonObject());
        string status = (string)(await first.ResultAsync("status", timeoutMs: 60_000))["text"]!;
        Assert.True(status.Contains("; tokens since start: openai/stream 30,000 in + 15 out", StringComparison.Ordinal), status);
        Assert.True(status.Contains("; token budgets (today, resetting at 00:00 UTC): " + spent, StringComparison.Ordinal), status);

        // Another session: served when the budget was the session's, refused when it was the daemon's or the provider's.
        await using var second = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        var other = await ChatAsync(second, "other");
        Assert.Equal(otherSessionsGoOn, (bool)other["ok"]!);

        // The local model costs nothing and no budget stops it.
        var local = await ChatAsync(first, "local", model: "local");
        Assert.True((bool)local["ok"]!, local.ToJsonString());
    }

    [Fact]
    public async Task WithRedis_DaemonsSpendOneBudget_AndADaemonStartedLaterGoesOnFromWhatWasSpent()
    {
        await using var redis = await RedisServer.StartNewAsync();
        var budget = new Dictionary<string, string> { ["EXAIFAST_MAX_TOKENS_PER_DAY"] = "25000", ["REDIS_URL"] = redis.Url };
        await using var first = await ProviderRig.StartAsync(budget, fake => fake.PromptTokens = PromptTokens);
        await first.MetricReachesAsync("exaifast_redis_up", 1);
        await using var one = await ExaiWsClient.ConnectAsync(first.Daemon.Uri);
        for (int i = 1; i <= 3; i++)
        {
            Assert.True((bool)(await ChatAsync(one, $"ok{i}"))["ok"]!);
        }

        // Its charges reach Redis just after its answers (the answer does not wait for them).
        await using (var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}"))
        {
            string key = "exaifast:spend:" + DateTime.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((long)await mux.GetDatabase().HashGetAsync(key, "total") != 30_015)
            {
                Assert.True(DateTime.UtcNow < deadline, "the first daemon's tokens never reached Redis");
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
        }

        // Another daemon (or this one restarted) on the same Redis: the day's 30,015 tokens are spent there too.
        await using var second = await ProviderRig.StartAsync(budget, fake => fake.PromptTokens = PromptTokens);
        await second.MetricReachesAsync("exaifast_redis_up", 1);
        await using var two = await ExaiWsClient.ConnectAsync(second.Daemon.Uri);
        var refused = await ChatAsync(two, "refused");
        Assert.Equal("BUDGET_EXCEEDED", (string?)refused["error"]!["code"]);
        Assert.StartsWith("the daily token budget (EXAIFAST_MAX_TOKENS_PER_DAY=25,000) would be passed: 0 tokens are left today", (string)refused["error"]!["message"]!, StringComparison.Ordinal);
        Assert.Equal(0, second.Fake.RequestCount); // nothing was sent from the second daemon
    }

    [Fact]
    public async Task ThePerCallBudget_RefusesARequestEstimatedOverIt_AndLetsASmallOneThrough()
    {
        await using var rig = await ProviderRig.StartAsync(new() { ["EXAIFAST_MAX_TOKENS_PER_CALL"] = "5000" }, fake => fake.PromptTokens = PromptTokens);
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        var refused = await ChatAsync(client, "big", prompt: new string('x', 40_000)); // 10,000 tokens by the estimate
        Assert.Equal("BUDGET_EXCEEDED", (string?)refused["error"]!["code"]);
        Assert.StartsWith("the per-call token budget (EXAIFAST_MAX_TOKENS_PER_CALL=5,000) would be passed: this call has used 0 tokens", (string)refused["error"]!["message"]!, StringComparison.Ordinal);
        Assert.Null(refused["error"]!["retry_after"]); // it never resets: waiting does not help
        Assert.Equal(0, rig.Fake.RequestCount);

        var small = await ChatAsync(client, "small");
        Assert.True((bool)small["ok"]!, small.ToJsonString()); // charged 10,005 after the fact: the budget bounds what is sent
        Assert.Equal(1, rig.Fake.RequestCount);
    }

    [Fact]
    public void TheDailyCounts_StartAgainAtMidnightUtc()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 23, 59, 0, TimeSpan.Zero));
        var ledger = new SpendLedger(new TokenBudgets { PerDay = 100 }, time);
        var spend = new CallSpend("s");
        ledger.Charge("kimi", spend, 90);
        var refused = Assert.Throws<BudgetExceededException>(() => ledger.Check("kimi", spend, 20));
        Assert.Equal(60, refused.RetryAfterSeconds);
        Assert.Contains("10 tokens are left today", refused.Message, StringComparison.Ordinal);

        time.Advance(TimeSpan.FromMinutes(1));
        ledger.Check("kimi", spend, 20); // a new day
        Assert.Equal(0, ledger.UsedToday);
        Assert.Equal(90, spend.Tokens); // the call's own count is not daily
    }

    [Fact]
    public void TheEstimate_IsFourCharactersAToken_RoundedUp()
    {
        var request = ModelRequest.FromPrompt(null, "12345678", "123456789");
        Assert.Equal(5, SpendLedger.Estimate(request)); // 17 characters
    }

    private static async Task<JsonObject> ChatAsync(ExaiWsClient client, string id, string model = "stream", string prompt = "Say hello.")
    {
        await client.CallAsync(id, "chat", new JsonObject { ["prompt"] = prompt, ["model"] = model });
        return await client.ResultAsync(id, timeoutMs: 60_000);
    }
}
