using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// A call runs in the lane of the provider that serves it, also after a run-time fallback: Kimi fails, GLM answers, and
/// the call moves from Kimi's lane to GLM's — under GLM's limit (1 here), waiting in GLM's queue or refused when that is
/// full, with Kimi's slot free meanwhile; a cancel while it waits to move leaks no slot. Real daemon, real fake servers.
/// </summary>
public class ProviderLaneHopTests
{
    private const string KimiBusy = "exaifast_lane_workers_busy{lane=\"kimi\"}";
    private const string GlmBusy = "exaifast_lane_workers_busy{lane=\"glm\"}";
    private const string GlmQueued = "exaifast_lane_queued{lane=\"glm\"}";

    // auto sends chat to Kimi's fast model first, which fails at once (no retries); its fallback is GLM's fast model,
    // whose answers wait for the test (FakeOpenAIServer.Hold). One slot per lane, one place in each queue. The provider
    // deadlines are long: a held request must outlast the test's looking, however loaded the machine.
    private static async Task<(TwoProviders Rig, TaskCompletionSource Release)> StartAsync(string disconnectGraceSecs = "15")
    {
        var rig = await TwoProviders.StartAsync(kimiBehavior: "status-503", glmBehavior: "stream", new()
        {
            ["EXAI_WS_DISCONNECT_GRACE_SECS"] = disconnectGraceSecs,
            ["EXAI_WS_KIMI_MAX_INFLIGHT"] = "1", ["EXAI_WS_GLM_MAX_INFLIGHT"] = "1", ["EXAI_WS_QUEUE_DEPTH"] = "1",
            ["EXAIFAST_PROVIDER_RETRIES"] = "0",
            ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "60", ["EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS"] = "60",
        });
        rig.Kimi.Behaviors["kimi-k2-0905-preview"] = "answer"; // asked by name, it answers
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Glm.Hold = release.Task;
        return (rig, release);
    }

    [Fact]
    public async Task AFallbackRunsInTheServingProvidersLane_UnderItsLimit_WithTheFirstLaneFree()
    {
        var (rig, release) = await StartAsync();
        await using var _ = rig;
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        // c1: Kimi fails, the call moves to GLM's free slot and its request is held there.
        await client.CallAsync("c1", "chat", new JsonObject { ["prompt"] = "one" });
        await rig.Glm.WaitForHeldAsync(1);
        Assert.Equal(0, await rig.MetricAsync(KimiBusy));
        Assert.Equal(1, await rig.MetricAsync(GlmBusy));
        Assert.Equal(1, await rig.MetricAsync("exaifast_lane_hops_total{from=\"kimi\",to=\"glm\",outcome=\"run\"}"));

        // Kimi's one slot is free while GLM serves c1: a call asked of Kimi by name is answered now.
        await client.CallAsync("k1", "chat", new JsonObject { ["prompt"] = "kimi", ["model"] = "kimi-k2-0905-preview" });
        var kimiAnswer = await client.ResultAsync("k1", 60_000);
        Assert.True((bool)kimiAnswer["ok"]!, kimiAnswer.ToJsonString());
        Assert.Equal("kimi", (string?)kimiAnswer["metrics"]!["provider"]);

        // c2 falls back too, and waits in GLM's queue (GLM's limit of 1 holds), holding no Kimi slot.
        await client.CallAsync("c2", "chat", new JsonObject { ["prompt"] = "two" });
        await rig.MetricReachesAsync(GlmQueued, 1);
        Assert.Equal(0, await rig.MetricAsync(KimiBusy));
        Assert.Equal(1, await rig.MetricAsync("exaifast_lane_hops_total{from=\"kimi\",to=\"glm\",outcome=\"queued\"}"));

        // c3 falls back into a full queue: refused, clearly.
        await client.CallAsync("c3", "chat", new JsonObject { ["prompt"] = "three" });
        var refused = await client.ResultAsync("c3", 60_000);
        Assert.Equal("OVER_CAPACITY", (string?)refused["error"]!["code"]);
        Assert.Equal("lane 'glm' queue is full (1), so glm/glm-4.5-flash was not asked; before it: kimi/kimi-k2-turbo-preview failed before its first chunk (kimi: HTTP 503 Service Unavailable after 1 attempts)",
            (string?)refused["error"]!["message"]);
        Assert.NotNull(refused["error"]!["retry_after"]);
        Assert.Equal(1, rig.Glm.RequestCount); // neither c2 nor c3 reached GLM while c1 held its slot

        release.SetResult();
        foreach (string id in new[] { "c1", "c2" })
        {
            var result = await client.ResultAsync(id, 60_000);
            Assert.True((bool)result["ok"]!, result.ToJsonString());
            Assert.Equal("glm", (string?)result["metrics"]!["provider"]);
            Assert.EndsWith("answered by glm/glm-4.5-flash", (string?)result["metrics"]!["route"], StringComparison.Ordinal);
        }

        Assert.Equal(1, rig.Glm.MaxConcurrentAnswers);
        Assert.Equal(2, rig.Glm.RequestCount);
        await rig.MetricReachesAsync(GlmBusy, 0);
        Assert.Equal(0, await rig.MetricAsync(KimiBusy));
        Assert.Equal(0, await rig.MetricAsync(GlmQueued));
        Assert.Equal(0, rig.Daemon.Dispatcher.Inflight);
    }

    [Fact]
    public async Task ACancelWhileWaitingForTheServingLane_AnswersCancelled_AndEverySlotComesBack()
    {
        var (rig, release) = await StartAsync();
        await using var _ = rig;
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        await client.CallAsync("c1", "chat", new JsonObject { ["prompt"] = "one" });
        await rig.Glm.WaitForHeldAsync(1);
        await client.CallAsync("c2", "chat", new JsonObject { ["prompt"] = "two" });
        await rig.MetricReachesAsync(GlmQueued, 1);

        await client.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = "c2" });
        Assert.Equal("CANCELLED", (string?)(await client.ResultAsync("c2", 60_000))["error"]!["code"]);
        Assert.Equal(0, await rig.MetricAsync(KimiBusy));
        Assert.Equal(1, await rig.MetricAsync(GlmBusy));

        release.SetResult();
        Assert.True((bool)(await client.ResultAsync("c1", 60_000))["ok"]!);
        await rig.MetricReachesAsync(GlmBusy, 0);
        Assert.Equal(0, await rig.MetricAsync(GlmQueued)); // the cancelled waiter was passed over, not served
        Assert.Equal(0, await rig.MetricAsync(KimiBusy));
        Assert.Equal(1, rig.Glm.RequestCount);
        Assert.Equal(0, rig.Daemon.Dispatcher.Inflight);
        await rig.Glm.WaitForNoOpenRequestsAsync();

        // The lanes still work at their limits afterwards.
        rig.Glm.Hold = Task.CompletedTask;
        await client.CallAsync("c3", "chat", new JsonObject { ["prompt"] = "three" });
        Assert.True((bool)(await client.ResultAsync("c3", 60_000))["ok"]!);
    }

    [Fact]
    public async Task ADisconnectWhileWaitingForTheServingLane_LeaksNoSlot()
    {
        var (rig, release) = await StartAsync(disconnectGraceSecs: "0");
        await using var _ = rig;
        await using var holder = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        await holder.CallAsync("c1", "chat", new JsonObject { ["prompt"] = "one" });
        await rig.Glm.WaitForHeldAsync(1);

        // A client waiting to move into GLM's lane goes away; past the disconnect grace its call is cancelled.
        var leaver = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        await leaver.CallAsync("c2", "chat", new JsonObject { ["prompt"] = "two" });
        await rig.MetricReachesAsync(GlmQueued, 1);
        await leaver.DisposeAsync();
        await rig.MetricReachesAsync("exaifast_calls_total{tool=\"chat\",outcome=\"cancelled\"}", 1);
        Assert.Equal(0, await rig.MetricAsync(KimiBusy));

        release.SetResult();
        Assert.True((bool)(await holder.ResultAsync("c1", 60_000))["ok"]!);
        await rig.MetricReachesAsync(GlmBusy, 0);
        Assert.Equal(0, await rig.MetricAsync(GlmQueued));
        Assert.Equal(1, rig.Glm.RequestCount);
        Assert.Equal(0, rig.Daemon.Dispatcher.Inflight);
    }
}
