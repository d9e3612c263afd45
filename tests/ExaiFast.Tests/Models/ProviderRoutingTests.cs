using System.Text.Json.Nodes;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Tests.ExaiWs;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.Models;

/// <summary>
/// Kimi and GLM, each played by a fake server: auto routing and its fallback chain (before the first chunk only, past a
/// model whose breaker is open), lanes derived from the configured providers, and each lane's limit held under concurrent calls.
/// </summary>
public class ProviderRoutingTests
{
    [Fact]
    public async Task Auto_FallsBackToTheNextModel_WhenTheFirstFailsBeforeItsFirstChunk()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "status-503", glmBehavior: "answer");
        var result = await rig.ChatAsync(new JsonObject());
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("glm", (string?)result["metrics"]!["provider"]);
        Assert.Equal(3, rig.Kimi.RequestCount); // asked first (with its retries), then the chain moved on
        string route = (string)result["metrics"]!["route"]!;
        Assert.StartsWith("auto: chat is a simple tool", route, StringComparison.Ordinal);
        Assert.Contains("fallback: kimi/kimi-k2-turbo-preview failed before its first chunk (kimi: HTTP 503", route, StringComparison.Ordinal);
        Assert.EndsWith("answered by glm/glm-4.5-flash", route, StringComparison.Ordinal);
    }

    /// <summary>Per tool, what auto must look for and the reason it gives (docs/models.md: a strong or thinking model where the
    /// work asks for one, a fast one for simple tools and early steps).</summary>
    public static TheoryData<string, string, ModelCapabilities, string> AutoChoices() => new()
    {
        { "chat", """{"prompt":"hello"}""", ModelCapabilities.Fast, "chat is a simple tool or an early workflow step, so a fast model" },
        { "chat", """{"prompt":"hello","thinking_mode":"high"}""", ModelCapabilities.Thinking, "thinking_mode=high asks for a thinking model" },
        { "thinkdeep", """{"step":"s","step_number":1,"total_steps":1,"next_step_required":false,"findings":"f"}""", ModelCapabilities.Strong | ModelCapabilities.Thinking, "thinkdeep wants a strong thinking model" },
        { "secaudit", """{"step":"s","step_number":1,"total_steps":1,"next_step_required":false,"findings":"f"}""", ModelCapabilities.Strong, "secaudit wants a strong model" },
        { "debug", """{"step":"s","step_number":1,"total_steps":1,"next_step_required":false,"findings":"f"}""", ModelCapabilities.Strong, "a workflow's final step wants a strong model" },
    };

    [Theory]
    [MemberData(nameof(AutoChoices))]
    public async Task Auto_PicksTheKindOfModelTheToolWants_AndSaysWhy(string tool, string arguments, ModelCapabilities wanted, string why)
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer");
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        await client.CallAsync("a1", tool, JsonNode.Parse(arguments)!.AsObject());
        var result = await client.ResultAsync("a1", 60_000);

        Assert.True((bool)result["ok"]!, result.ToJsonString());
        string model = (string)result["metrics"]!["model"]!;
        Assert.True(KnownModels.Kimi.Concat(KnownModels.Glm).Single(m => m.Name == model).Can(wanted), $"{tool} was answered by {model}, which is not {wanted}");
        Assert.StartsWith($"auto: {why}", (string)result["metrics"]!["route"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_NeverFallsBackAfterTheFirstChunk()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "hang-stream", glmBehavior: "answer", ProviderRig.ShortIdleDeadline);
        var result = await rig.ChatAsync(new JsonObject { ["stream"] = true });
        Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
        Assert.Contains("kimi", (string?)result["error"]!["message"], StringComparison.Ordinal);
        Assert.Equal(0, rig.Glm.RequestCount);
        await rig.Kimi.WaitForNoOpenRequestsAsync();
    }

    [Fact]
    public async Task Auto_SkipsModelsWhoseBreakersAreOpen_WithoutAskingThem()
    {
        // Breakers are per model: Kimi's two fast models are opened (2 failed calls each, 100% ≥ 50%), so auto passes over
        // both — the second only once the first is open — and goes to GLM's.
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "status-500", glmBehavior: "answer",
            new() { ["EXAIFAST_BREAKER_MIN_THROUGHPUT"] = "2", ["EXAIFAST_PROVIDER_RETRIES"] = "0" });
        foreach (string model in (string[])["kimi-k2-turbo-preview", "moonshot-v1-8k"])
        {
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync(new JsonObject { ["model"] = model }, $"{model}{i}"))["error"]!["code"]);
            }
        }

        int asked = rig.Kimi.RequestCount;
        var result = await rig.ChatAsync(new JsonObject());
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("glm", (string?)result["metrics"]!["provider"]);
        Assert.Equal(asked, rig.Kimi.RequestCount);
        Assert.Equal("auto: chat is a simple tool or an early workflow step, so a fast model → glm-4.5-flash; kimi/kimi-k2-turbo-preview skipped: its circuit breaker is open; " +
            "kimi/moonshot-v1-8k skipped: its circuit breaker is open", (string?)result["metrics"]!["route"]);
    }

    [Fact]
    public async Task Auto_TakesTheSameProvidersNextFitModel_WhenTheFirstIsOpen()
    {
        // One model of a server failing is no reason to leave the server: its other fast model answers.
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer",
            new() { ["EXAIFAST_BREAKER_MIN_THROUGHPUT"] = "2", ["EXAIFAST_PROVIDER_RETRIES"] = "0" });
        rig.Kimi.Behaviors["kimi-k2-turbo-preview"] = "status-500";
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal("PROVIDER_ERROR", (string?)(await rig.ChatAsync(new JsonObject { ["model"] = "kimi-turbo" }, $"k{i}"))["error"]!["code"]);
        }

        var result = await rig.ChatAsync(new JsonObject());
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("moonshot-v1-8k", (string?)result["metrics"]!["model"]);
        Assert.Equal(2, rig.Kimi.Attempts("kimi-k2-turbo-preview"));
        Assert.EndsWith("→ moonshot-v1-8k; kimi/kimi-k2-turbo-preview skipped: its circuit breaker is open", (string?)result["metrics"]!["route"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExplicitModel_IsRespected_AndWebSearch_IsGlmsProviderTool()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer");
        var result = await rig.ChatAsync(new JsonObject { ["model"] = "glm-4.6", ["use_websearch"] = true, ["thinking_mode"] = "high" });
        Assert.Equal("glm-4.6", (string?)result["metrics"]!["model"]);
        Assert.Equal("explicit model 'glm-4.6'", (string?)result["metrics"]!["route"]);
        var (_, body) = Assert.Single(rig.Glm.Requests);
        Assert.Equal("enabled", (string?)body["thinking"]!["type"]);
        Assert.Equal("web_search", (string?)body["tools"]![0]!["type"]);
        Assert.Equal(0, rig.Kimi.RequestCount);

        // An alias selects its model; Kimi gets no GLM extras.
        result = await rig.ChatAsync(new JsonObject { ["model"] = "kimi-thinking", ["thinking_mode"] = "high" }, "c2");
        Assert.Equal("kimi-thinking-preview", (string?)result["metrics"]!["model"]);
        var (_, kimiBody) = Assert.Single(rig.Kimi.Requests);
        Assert.Null(kimiBody["thinking"]);
    }

    [Fact]
    public async Task Auto_WithWebSearch_PicksAWebSearchCapableModel()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer");
        var result = await rig.ChatAsync(new JsonObject { ["use_websearch"] = true });
        Assert.Equal("glm", (string?)result["metrics"]!["provider"]); // Kimi's models have no web-search tool here
        Assert.Equal("auto: use_websearch asks for a web-search-capable model → glm-4.5-flash", (string?)result["metrics"]!["route"]);
    }

    [Fact]
    public async Task Images_GoToAVisionModel_UnderAuto_AndAreRefusedByAModelThatCannotSeeThem()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer");
        var images = new JsonArray("data:image/png;base64,iVBORw0KGgo=");
        var result = await rig.ChatAsync(new JsonObject { ["images"] = images.DeepClone() });
        Assert.Equal("kimi-k2-0905-preview", (string?)result["metrics"]!["model"]);
        var content = Assert.Single(rig.Kimi.Requests).Body["messages"]![1]!["content"]!.AsArray();
        Assert.Equal("image_url", (string?)content[1]!["type"]);

        var refused = await rig.ChatAsync(new JsonObject { ["images"] = images.DeepClone(), ["model"] = "glm-4.5-flash" }, "c2");
        Assert.Equal("INVALID_ARGUMENTS", (string?)refused["error"]!["code"]);
        Assert.Contains("does not take images", (string?)refused["error"]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lanes_AreTheConfiguredProviders_AndEachKeepsItsLimit_UnderConcurrentCalls()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "stream", glmBehavior: "stream",
            new() { ["EXAI_WS_KIMI_MAX_INFLIGHT"] = "1", ["EXAI_WS_GLM_MAX_INFLIGHT"] = "2" });
        rig.Kimi.ChunkDelay = rig.Glm.ChunkDelay = TimeSpan.FromMilliseconds(40);
        Assert.Equal(["glm", "kimi", "local"], rig.Daemon.Dispatcher.Lanes.Keys.Order().ToArray());

        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        for (int i = 0; i < 4; i++)
        {
            await client.CallAsync($"k{i}", "chat", new JsonObject { ["prompt"] = $"k{i}", ["model"] = "kimi-k2-0905-preview" });
            await client.CallAsync($"g{i}", "chat", new JsonObject { ["prompt"] = $"g{i}", ["model"] = "glm-4.5-flash" });
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.True((bool)(await client.ResultAsync($"k{i}", 60_000))["ok"]!);
            Assert.True((bool)(await client.ResultAsync($"g{i}", 60_000))["ok"]!);
        }

        Assert.Equal(1, rig.Kimi.MaxConcurrentAnswers);
        Assert.InRange(rig.Glm.MaxConcurrentAnswers, 1, 2);
        Assert.Equal(4, rig.Kimi.RequestCount);
        Assert.Equal(4, rig.Glm.RequestCount);
    }

    [Fact]
    public async Task NoKey_LeavesOnlyTheLocalLane_AndLocalAnswersAuto_SayingSo()
    {
        await using var daemon = await Daemon.StartAsync();
        Assert.Equal(["local"], daemon.Dispatcher.Lanes.Keys.ToArray());
        var registry = daemon.Services.GetRequiredService<ProviderRegistry>();
        Assert.True(registry.TryRoute(new ExaiFast.Models.RouteRequest { Tool = "chat" }, out var decision, out _));
        Assert.Equal(LocalModelProvider.ProviderName, decision!.Choice.Provider.Name);
        Assert.Contains("no API key", decision.Reason, StringComparison.Ordinal);

        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await client.CallAsync("l1", "listmodels");
        Assert.Contains("offline local model answers", (string?)(await client.ResultAsync("l1"))["text"], StringComparison.Ordinal);
    }
}
