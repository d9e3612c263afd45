using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Workflows;

/// <summary>
/// consensus against the fake OpenAI-compatible server: every model asked at once (a gate in the fake server opens only
/// when both requests are open together), each from its stance; every answer reported — a model that hangs as TIMEOUT
/// on its own deadline inside the call's, one that fails as PROVIDER_ERROR — and the call fails only when none answered.
/// </summary>
public class ConsensusToolTests
{
    private const string Models = "answer,stream,hang-headers,status-500,status-502,gate-a,gate-b";

    private static Task<ProviderRig> StartAsync(Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["OPENAI_COMPATIBLE_MODELS"] = Models,
            // Longer than a gate waits: a gated request must be answered by the gate, never retried after a provider timeout.
            ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "30",
        };
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        return ProviderRig.StartAsync(env, fake =>
        {
            fake.Behaviors["gate-a"] = "gate";
            fake.Behaviors["gate-b"] = "gate";
        });
    }

    private static JsonObject Ask(params (string Model, string Stance)[] models) => new()
    {
        ["step"] = "PROPOSAL: move the thread store to Redis",
        ["step_number"] = 1,
        ["total_steps"] = 1,
        ["next_step_required"] = false,
        ["findings"] = "OWN-ANALYSIS: one daemon is not enough",
        ["models"] = new JsonArray([.. models.Select(m => (JsonNode)new JsonObject { ["model"] = m.Model, ["stance"] = m.Stance })]),
    };

    private static JsonObject Response(JsonObject body, string model) =>
        body["responses"]!.AsArray().Single(r => (string?)r!["model"] == model)!.AsObject();

    [Fact]
    public async Task AllAnswer_ConsensusComplete_WithEveryVerdict_EachModelAskedFromItsStance()
    {
        await using var rig = await StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        var body = await WorkflowCalls.OkAsync(client, "consensus", Ask(("answer", "for"), ("stream", "against")));

        Assert.Equal("consensus_complete", (string?)body["status"]);
        Assert.Equal(2, (int)body["models_consulted"]!);
        Assert.Equal(2, (int)body["models_answered"]!);
        Assert.Equal(["answer", "stream"], body["responses"]!.AsArray().Select(r => (string)r!["model"]!)); // in the order asked
        Assert.Equal(FakeOpenAIServer.Answer, (string?)Response(body, "answer")["verdict"]);
        Assert.Equal("ok", (string?)Response(body, "answer")["status"]);
        Assert.Equal("for", (string?)Response(body, "answer")["stance"]);
        Assert.Equal("chunk0 chunk1 chunk2 chunk3 chunk4 ", (string?)Response(body, "stream")["verdict"]);
        Assert.Equal("against", (string?)Response(body, "stream")["stance"]);
        Assert.True(Guid.TryParse((string?)body["continuation_id"], out _));

        Assert.Equal(2, rig.Fake.RequestCount);
        foreach (var (model, stance) in new[] { ("answer", "Argue FOR"), ("stream", "Argue AGAINST") })
        {
            var messages = rig.Fake.Requests.Single(r => (string?)r.Body["model"] == model).Body["messages"]!.AsArray();
            Assert.Equal("system", (string?)messages[0]!["role"]);
            Assert.Contains(stance, (string?)messages[0]!["content"], StringComparison.Ordinal);
            string question = (string)messages[^1]!["content"]!;
            Assert.Contains("PROPOSAL: move the thread store to Redis", question, StringComparison.Ordinal);
            Assert.Contains("OWN-ANALYSIS: one daemon is not enough", question, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheModels_AreAskedConcurrently()
    {
        // Each gated request waits until the other is open too; asked one after the other, the first would answer
        // GateNotReached (after its wait) before the second was sent.
        await using var rig = await StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        var body = await WorkflowCalls.OkAsync(client, "consensus", Ask(("gate-a", "for"), ("gate-b", "against")));

        Assert.True(rig.Fake.GateOpened);
        Assert.Equal(FakeOpenAIServer.Answer, (string?)Response(body, "gate-a")["verdict"]);
        Assert.Equal(FakeOpenAIServer.Answer, (string?)Response(body, "gate-b")["verdict"]);
        Assert.Equal(2, rig.Fake.RequestCount);
    }

    [Fact]
    public async Task AModelThatHangs_IsReportedAsTimeout_BesideTheOthersVerdict_WithinTheCallsDeadline()
    {
        // Each model's own deadline keeps min(1 s, a tenth) of the call's for the reply: at 10 s the whole second, where
        // a 3 s call left 0.3 s for assembling and sending it on a machine that may stall longer.
        await using var rig = await StartAsync(new() { ["EXAI_WS_CALL_TIMEOUT_SECS"] = "10" });
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        var frame = await WorkflowCalls.CallAsync(client, "consensus", Ask(("answer", "for"), ("hang-headers", "against")));

        Assert.True((bool)frame["ok"]!, frame.ToJsonString()); // answered before the call's own deadline took it down
        var body = WorkflowCalls.Body(frame);
        Assert.Equal("consensus_partial", (string?)body["status"]);
        Assert.Equal(1, (int)body["models_answered"]!);
        Assert.Equal(FakeOpenAIServer.Answer, (string?)Response(body, "answer")["verdict"]);
        var hung = Response(body, "hang-headers");
        Assert.Equal("error", (string?)hung["status"]);
        Assert.Equal("TIMEOUT", (string?)hung["error_code"]);
        Assert.Null(hung["verdict"]);
        await rig.Fake.WaitForNoOpenRequestsAsync(); // the hung request was abandoned, not left open
    }

    [Fact]
    public async Task AModelThatFails_IsReportedAsProviderError_BesideTheOthersVerdict()
    {
        await using var rig = await StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        var body = await WorkflowCalls.OkAsync(client, "consensus", Ask(("status-500", "for"), ("answer", "neutral")));

        Assert.Equal("consensus_partial", (string?)body["status"]);
        var failed = Response(body, "status-500");
        Assert.Equal("error", (string?)failed["status"]);
        Assert.Equal("PROVIDER_ERROR", (string?)failed["error_code"]);
        Assert.Contains("500", (string?)failed["error"], StringComparison.Ordinal);
        Assert.Equal(FakeOpenAIServer.Answer, (string?)Response(body, "answer")["verdict"]);
        Assert.Equal("neutral", (string?)Response(body, "answer")["stance"]);
    }

    [Fact]
    public async Task WhenNoModelAnswers_TheCallFails_WithProviderError_NamingEach()
    {
        await using var rig = await StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        var (code, message) = await WorkflowCalls.ErrorAsync(client, "consensus", Ask(("status-500", "for"), ("status-502", "against")));

        Assert.Equal("PROVIDER_ERROR", code);
        Assert.Contains("status-500", message, StringComparison.Ordinal);
        Assert.Contains("status-502", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContinuingAThread_SendsItsHistoryToEveryModel()
    {
        await using var rig = await StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        var chat = await WorkflowCalls.CallAsync(client, "chat", new JsonObject { ["prompt"] = "CHAT-TURN about Redis", ["model"] = "answer" });
        string thread = (string)chat["continuation_id"]!;
        var ask = Ask(("answer", "for"), ("stream", "against"));
        ask["continuation_id"] = thread;

        var body = await WorkflowCalls.OkAsync(client, "consensus", ask);

        Assert.Equal(thread, (string?)body["continuation_id"]);
        foreach (string model in new[] { "answer", "stream" })
        {
            var messages = rig.Fake.Requests.Where(r => (string?)r.Body["model"] == model).Last().Body["messages"]!.AsArray();
            Assert.Contains(messages, m => (string?)m!["role"] == "user" && ((string?)m["content"])!.Contains("CHAT-TURN about Redis", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task BadModels_AreInvalidArguments_BeforeAnyModelIsAsked()
    {
        await using var rig = await StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        var cases = new (JsonNode Models, string Error)[]
        {
            (new JsonArray(), "'models' must hold from 1 to 8 items"),
            (new JsonArray(new JsonObject { ["model"] = "answer", ["stance"] = "maybe" }), "'models[0].stance' must be one of for, against, neutral"),
            (new JsonArray(new JsonObject { ["stance"] = "for" }), "'models[0].model' is required"),
            (new JsonArray(new JsonObject { ["model"] = "answer" }, new JsonObject { ["model"] = "no-such-model" }), "'models[1].model': unknown model 'no-such-model'"),
            (new JsonArray([.. Enumerable.Range(0, 9).Select(_ => (JsonNode)new JsonObject { ["model"] = "answer" })]), "'models' must hold from 1 to 8 items"),
            ("answer", "'models' must be"),
        };
        foreach (var (models, error) in cases)
        {
            var ask = Ask();
            ask["models"] = models.DeepClone();
            var (code, message) = await WorkflowCalls.ErrorAsync(client, "consensus", ask);
            Assert.Equal("INVALID_ARGUMENTS", code);
            Assert.Contains(error, message, StringComparison.Ordinal);
        }

        Assert.Equal(0, rig.Fake.RequestCount);
    }

    [Fact]
    public async Task EachModelsRequest_CountsInItsProvidersLane_UnderItsLimit_AndTheCallHoldsNoProviderSlot()
    {
        // The openai lane has one slot: the two requests of one consensus call take it in turn (each borrows a slot of
        // its provider's lane), while the call itself runs in the local lane.
        await using var rig = await StartAsync(new() { ["EXAI_WS_OPENAI_MAX_INFLIGHT"] = "1" });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Fake.Hold = release.Task;
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        await client.CallAsync("c1", "consensus", Ask(("stream", "for"), ("stream", "against")));
        var early = client.ResultAsync("c1", 60_000);
        var held = rig.Fake.WaitForHeldAsync(1);
        if (await Task.WhenAny(early, held) == early)
        {
            Assert.Fail("answered before any request was held: " + (await early).ToJsonString());
        }

        await held;
        await rig.MetricReachesAsync("exaifast_lane_queued{lane=\"openai\"}", 1); // the other model's request waits its turn
        Assert.Equal(1, await rig.MetricAsync("exaifast_lane_workers_busy{lane=\"openai\"}"));
        Assert.Equal(1, rig.Fake.Held);

        release.SetResult();
        var result = await early; // the one wait for the result (a second would wait for a second result frame)
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        var body = System.Text.Json.Nodes.JsonNode.Parse((string)result["text"]!)!.AsObject();
        Assert.Equal(2, (int)body["models_answered"]!);
        Assert.Equal(1, rig.Fake.MaxConcurrentAnswers);
        await rig.MetricReachesAsync("exaifast_lane_workers_busy{lane=\"openai\"}", 0); // every borrowed slot given back
    }
}
