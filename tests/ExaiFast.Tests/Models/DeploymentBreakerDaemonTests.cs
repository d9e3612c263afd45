using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// A circuit breaker per deployment (provider + model), through the real daemon and a real HTTP server playing the model
/// API: one model of a server failing every call opens its own breaker after 5 calls in a row while the server's other
/// models keep answering; the open model is refused at once (PROVIDER_UNAVAILABLE with retry_after, no upstream request)
/// or passed over for a fallback; after its break one probe at a time goes upstream, and its success closes the breaker.
/// Every step is waited for by a signal (a request counted at the server, a series in /metrics), never by a sleep.
/// </summary>
public class DeploymentBreakerDaemonTests
{
    private const string Failing = "openai/status-500";

    private static string State(string model) => $"exaifast_deployment_breaker_state{{provider=\"openai\",model=\"{model}\"}}";

    private static string Opened(string model) => $"exaifast_deployment_breaker_opened_total{{provider=\"openai\",model=\"{model}\"}}";

    // The count alone opens the breaker: the ratio is kept out of reach (1000 calls), as in the user's report, where the
    // server's healthy models kept the provider's ratio under 50%.
    private static Dictionary<string, string> Breaker(double breakSecs, int retries = 2) => new()
    {
        ["EXAIFAST_BREAKER_CONSECUTIVE_FAILURES"] = "5",
        ["EXAIFAST_BREAKER_MIN_THROUGHPUT"] = "1000",
        ["EXAIFAST_BREAKER_BREAK_SECS"] = breakSecs.ToString(CultureInfo.InvariantCulture),
        ["EXAIFAST_PROVIDER_RETRIES"] = retries.ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task AModelFailingEveryCall_OpensAfterFive_WhileTheServersOtherModelKeepsAnswering()
    {
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 600));
        for (int i = 0; i < 5; i++)
        {
            var (failed, _, _) = await rig.ChatAsync("status-500");
            Assert.Equal("PROVIDER_ERROR", (string?)failed["error"]!["code"]);
            Assert.True((bool)(await rig.ChatAsync("answer")).Result["ok"]!); // the same server, another model: fine
        }

        Assert.Equal(15, rig.Fake.Attempts("status-500")); // 5 calls, each retried twice

        var (refused, _, _) = await rig.ChatAsync("status-500");
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)refused["error"]!["code"]);
        Assert.Contains($"{Failing} is unavailable: its circuit breaker is open", (string?)refused["error"]!["message"], StringComparison.Ordinal);
        Assert.InRange((double)refused["error"]!["retry_after"]!, 1, 600);
        Assert.Equal(15, rig.Fake.Attempts("status-500")); // refused without a request upstream

        var (answered, _, _) = await rig.ChatAsync("answer");
        Assert.True((bool)answered["ok"]!, answered.ToJsonString());
        Assert.Equal(6, rig.Fake.Attempts("answer"));

        string metrics = await rig.GetAsync("/metrics");
        Assert.Contains(State("status-500") + " 2", metrics, StringComparison.Ordinal);
        Assert.Contains(State("answer") + " 0", metrics, StringComparison.Ordinal);
        Assert.Contains(Opened("status-500") + " 1", metrics, StringComparison.Ordinal);
        Assert.Contains("exaifast_provider_breaker_state{provider=\"openai\"} 0", metrics, StringComparison.Ordinal); // the provider is up

        // /ready: ready, since a used deployment of the provider is closed; each deployment's state shown.
        string ready = await rig.GetAsync("/ready");
        Assert.StartsWith("200", ready, StringComparison.Ordinal);
        var readiness = JsonNode.Parse(ready[4..])!;
        Assert.True((bool)readiness["providers"]!["openai"]!["up"]!);
        Assert.Equal("open", (string?)readiness["providers"]!["openai"]!["deployments"]!["status-500"]);
        Assert.Equal("closed", (string?)readiness["providers"]!["openai"]!["deployments"]!["answer"]);

        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        await client.CallAsync("s1", "status");
        string status = (string)(await client.ResultAsync("s1"))["text"]!;
        Assert.Contains("openai available [", status, StringComparison.Ordinal);
        Assert.Contains("status-500: circuit open, probe in ", status, StringComparison.Ordinal);
        Assert.Contains("answer: closed", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProviderIsDown_OnlyWhenEveryModelOfItThatWasUsedIsOpen()
    {
        await using var rig = await ProviderRig.StartAsync(Breaker(breakSecs: 600, retries: 0));
        Assert.StartsWith("200", await rig.GetAsync("/ready"), StringComparison.Ordinal); // nothing used: up
        for (int i = 0; i < 5; i++)
        {
            await rig.ChatAsync("status-500");
        }

        string ready = await rig.GetAsync("/ready");
        Assert.StartsWith("503", ready, StringComparison.Ordinal); // the only model used is open
        Assert.Contains("\"models\":false", ready, StringComparison.Ordinal);
        Assert.Contains("\"openai\":{\"up\":false,\"deployments\":{\"status-500\":\"open\"}}", ready, StringComparison.Ordinal);

        Assert.True((bool)(await rig.ChatAsync("answer")).Result["ok"]!);
        ready = await rig.GetAsync("/ready");
        Assert.StartsWith("200", ready, StringComparison.Ordinal);
        Assert.Contains("\"openai\":{\"up\":true,\"deployments\":{\"answer\":\"closed\",\"status-500\":\"open\"}}", ready, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterTheBreak_OneProbeAtATimeGoesUpstream_AFailedOneReopens_AndASuccessCloses()
    {
        // The shortest break there is: nothing below depends on a call coming before its end.
        var settings = Breaker(breakSecs: 0.5, retries: 0);
        settings["OPENAI_COMPATIBLE_MODELS"] = "answer,recovering";
        settings["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "60"; // the probe is held before its headers for as long as the test looks
        await using var rig = await ProviderRig.StartAsync(settings, f => f.Behaviors["recovering"] = "status-500");
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync("recovering")).Result["error"]!["code"]);
        }

        await rig.MetricReachesAsync(Opened("recovering"), 1);

        // The break ends (the gauge says half-open): the next call is the probe; it fails, and the breaker opens again.
        await rig.MetricReachesAsync(State("recovering"), 1);
        Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync("recovering")).Result["error"]!["code"]);
        Assert.Equal(6, rig.Fake.Attempts("recovering"));
        await rig.MetricReachesAsync(Opened("recovering"), 2);

        // Half-open again; the model has recovered. The probe is held at the server: a second call meanwhile is refused
        // at once (one probe at a time) and asks nothing upstream; the probe's answer closes the breaker.
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Fake.Hold = hold.Task;
        rig.Fake.Behaviors["recovering"] = "stream";
        await rig.MetricReachesAsync(State("recovering"), 1);
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        await client.CallAsync("probe", "chat", new JsonObject { ["prompt"] = "the probe", ["model"] = "recovering" });
        await rig.Fake.WaitForHeldAsync(1);

        await client.CallAsync("second", "chat", new JsonObject { ["prompt"] = "another call", ["model"] = "recovering" }); // not coalesced with the probe
        var second = await client.ResultAsync("second");
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)second["error"]!["code"]);
        Assert.InRange((double)second["error"]!["retry_after"]!, 1, 600);
        Assert.Equal(7, rig.Fake.Attempts("recovering"));

        hold.SetResult();
        var probe = await client.ResultAsync("probe", 60_000);
        Assert.True((bool)probe["ok"]!, probe.ToJsonString());
        await rig.MetricReachesAsync(State("recovering"), 0);
        Assert.True((bool)(await rig.ChatAsync("recovering")).Result["ok"]!);
        Assert.Equal(8, rig.Fake.Attempts("recovering"));
        Assert.Contains("\"recovering\":\"closed\"", await rig.GetAsync("/ready"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOpenModel_IsPassedOverForTheFallback_WithoutARequest_AndTheRouteSaysSo()
    {
        var settings = Breaker(breakSecs: 600, retries: 0);
        settings["DEFAULT_MODEL"] = "kimi-k2-turbo-preview"; // a configured default has a fallback chain: GLM's fast model
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "status-500", glmBehavior: "answer", settings);

        // Kimi's strong model answers, so Kimi stays up as a provider: only its fast model's breaker is what is skipped.
        rig.Kimi.Behaviors["kimi-k2-0905-preview"] = "answer";
        Assert.True((bool)(await rig.ChatAsync(new JsonObject { ["model"] = "kimi-k2-0905-preview" }, "strong"))["ok"]!);
        for (int i = 0; i < 5; i++)
        {
            var failed = await rig.ChatAsync(new JsonObject { ["model"] = "kimi-k2-turbo-preview" }, $"k{i}");
            Assert.Equal("PROVIDER_ERROR", (string?)failed["error"]!["code"]); // an explicit model has no fallback
        }

        int asked = rig.Kimi.RequestCount;
        var result = await rig.ChatAsync(new JsonObject());
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("glm", (string?)result["metrics"]!["provider"]);
        Assert.Equal(asked, rig.Kimi.RequestCount);
        Assert.Equal("DEFAULT_MODEL=kimi-k2-turbo-preview; fallback: kimi/kimi-k2-turbo-preview skipped: its circuit breaker is open; answered by glm/glm-4.5-flash",
            (string?)result["metrics"]!["route"]);
    }
}
