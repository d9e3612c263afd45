using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Workflows;

/// <summary>
/// Whole workflows against the offline local model, over exai-ws and MCP: step 1 opens a thread and says the next call,
/// later steps continue it, the final step answers with every step's findings consolidated and one model answer — one
/// model request for the whole workflow. Backtracking, replayed steps, a new run on the same thread, no model at all
/// (use_assistant_model false), and a thread begun by chat.
/// </summary>
public class WorkflowLocalTests(LocalDaemonFixture fixture) : IClassFixture<LocalDaemonFixture>
{
    private Daemon Daemon => fixture.Daemon;

    private static JsonObject Issue(string severity, string description) => new() { ["severity"] = severity, ["description"] = description };

    [Theory]
    [MemberData(nameof(WorkflowCalls.ToolNames), MemberType = typeof(WorkflowCalls))]
    public async Task AWholeWorkflow_OverExaiWs_ConsolidatesEveryStep_WithOneModelRequest(string tool)
    {
        string file = Path.Combine(Path.GetTempPath(), $"wf-{tool}-{Guid.NewGuid():N}.cs");
        await File.WriteAllTextAsync(file, "class A { }\n", TestContext.Current.CancellationToken);
        try
        {
            await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
            long before = Daemon.LocalModel.Requests;

            var one = await WorkflowCalls.OkAsync(client, tool, WorkflowCalls.Step(1, 3, true, $"{tool}-F1", extra: new JsonObject
            {
                ["issues_found"] = new JsonArray(Issue("high", "I1")),
                ["files_checked"] = new JsonArray("/src/a.cs"),
                ["relevant_context"] = new JsonArray("A.Run"),
                ["hypothesis"] = "H1",
                ["confidence"] = "low",
            }));
            Assert.Equal($"{tool}_in_progress", (string?)one["status"]);
            string thread = (string)one["continuation_id"]!;
            Assert.True(Guid.TryParse(thread, out _), thread);
            Assert.Equal(19, (int)one["remaining_turns"]!);
            Assert.Equal(1, (int)one[$"{tool}_status"]!["steps_recorded"]!);
            Assert.Equal(1, (int)one[$"{tool}_status"]!["issues_found"]!);
            Assert.Equal("H1", (string?)one[$"{tool}_status"]!["hypothesis"]);
            var next = one["next_call"]!;
            Assert.Equal(tool, (string?)next["tool"]);
            Assert.Equal(2, (int)next["arguments"]!["step_number"]!);
            Assert.Equal(3, (int)next["arguments"]!["total_steps"]!);
            Assert.True((bool)next["arguments"]!["next_step_required"]!);
            Assert.Equal(thread, (string?)next["arguments"]!["continuation_id"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)one["guidance"]));

            var two = await WorkflowCalls.OkAsync(client, tool, WorkflowCalls.Step(2, 3, true, $"{tool}-F2", thread, new JsonObject
            {
                ["issues_found"] = new JsonArray(Issue("critical", "I2"), Issue("high", "I1")),
                ["relevant_files"] = new JsonArray(file),
                ["confidence"] = "medium",
            }));
            Assert.Equal($"{tool}_in_progress", (string?)two["status"]);
            Assert.Equal(thread, (string?)two["continuation_id"]);
            Assert.Equal(18, (int)two["remaining_turns"]!);
            Assert.Equal(2, (int)two[$"{tool}_status"]!["steps_recorded"]!);
            Assert.Equal(2, (int)two[$"{tool}_status"]!["issues_found"]!); // I1 twice counts once
            Assert.Equal(3, (int)two["next_call"]!["arguments"]!["step_number"]!);
            Assert.False((bool)two["next_call"]!["arguments"]!["next_step_required"]!); // step 3 of 3 is the last
            Assert.Equal(before, Daemon.LocalModel.Requests); // intermediate steps ask no model

            var done = await WorkflowCalls.OkAsync(client, tool, WorkflowCalls.Step(3, 3, false, $"{tool}-F3", thread, new JsonObject { ["confidence"] = "high" }));

            Assert.Equal($"{tool}_complete", (string?)done["status"]);
            Assert.Equal(thread, (string?)done["continuation_id"]);
            Assert.Equal(17, (int)done["remaining_turns"]!);
            Assert.Equal(before + 1, Daemon.LocalModel.Requests); // one model request for the whole workflow
            var consolidated = done["consolidated"]!;
            Assert.Equal([$"step 1: {tool}-F1", $"step 2: {tool}-F2", $"step 3: {tool}-F3"], WorkflowCalls.Strings(consolidated["findings"]));
            Assert.Equal(["critical: I2", "high: I1"], consolidated["issues_found"]!.AsArray().Select(i => $"{i!["severity"]}: {i["description"]}"));
            Assert.Equal([file], WorkflowCalls.Strings(consolidated["relevant_files"]));
            Assert.Equal(["/src/a.cs"], WorkflowCalls.Strings(consolidated["files_checked"]));
            Assert.Equal(["A.Run"], WorkflowCalls.Strings(consolidated["relevant_context"]));
            Assert.Equal("high", (string?)done[$"{tool}_status"]!["current_confidence"]);
            Assert.Equal("H1", (string?)done[$"{tool}_status"]!["hypothesis"]);
            Assert.Null(done["next_call"]);
            var expert = done["expert_analysis"]!;
            Assert.Equal("local", (string?)expert["provider"]);
            Assert.Equal("local-echo", (string?)expert["model"]);
            Assert.Contains($"You wrote: \"The {tool} investigation below was carried out in 3 steps.", (string?)expert["content"], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [MemberData(nameof(WorkflowCalls.ToolNames), MemberType = typeof(WorkflowCalls))]
    public async Task AWholeWorkflow_OverMcp_HasTheContinuationIdAtTheResultsTopLevel(string tool)
    {
        await using var client = await WorkflowCalls.McpAsync(Daemon);
        long before = Daemon.LocalModel.Requests;

        async Task<(JsonObject Result, JsonObject Body)> CallAsync(JsonObject arguments)
        {
            var response = await WorkflowCalls.McpRequestAsync(client, "tools/call", new JsonObject { ["name"] = tool, ["arguments"] = arguments });
            var result = response["result"]!.AsObject();
            Assert.False((bool)result["isError"]!, result.ToJsonString());
            var content = result["content"]!.AsArray();
            var body = JsonNode.Parse((string)content[0]!["text"]!)!.AsObject();
            Assert.Equal((string?)body["continuation_id"], (string?)result["continuation_id"]);
            Assert.Equal($"continuation_id: {result["continuation_id"]} (pass it as continuation_id to continue this conversation with its history)", (string?)content[^1]!["text"]);
            return (result, body);
        }

        var (first, firstBody) = await CallAsync(WorkflowCalls.Step(1, 2, true, "mcp-F1"));
        string thread = (string)first["continuation_id"]!;
        Assert.Equal($"{tool}_in_progress", (string?)firstBody["status"]);
        Assert.Equal(thread, (string?)firstBody["next_call"]!["arguments"]!["continuation_id"]);

        var (last, lastBody) = await CallAsync(WorkflowCalls.Step(2, 2, false, "mcp-F2", thread));

        Assert.Equal(thread, (string?)last["continuation_id"]);
        Assert.Equal($"{tool}_complete", (string?)lastBody["status"]);
        Assert.Equal(["step 1: mcp-F1", "step 2: mcp-F2"], WorkflowCalls.Strings(lastBody["consolidated"]!["findings"]));
        Assert.Equal("local", (string?)last["_meta"]!["exaifast/model"]!["provider"]);
        Assert.Equal(before + 1, Daemon.LocalModel.Requests);
    }

    [Fact]
    public async Task Backtracking_DropsTheStepsFromThatOneOn()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        string file = Path.Combine(Path.GetTempPath(), $"wf-back-{Guid.NewGuid():N}.cs");
        var one = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(1, 4, true, "B1", extra: new() { ["issues_found"] = new JsonArray(Issue("low", "kept")) }));
        string thread = (string)one["continuation_id"]!;
        await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(2, 4, true, "B2", thread, new() { ["issues_found"] = new JsonArray(Issue("high", "wrong turn")), ["hypothesis"] = "wrong" }));
        await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(3, 4, true, "B3", thread, new() { ["relevant_files"] = new JsonArray(file), ["files_checked"] = new JsonArray(file) }));
        long before = Daemon.LocalModel.Requests;

        // The file named by step 3 does not exist: were step 3 kept, the final step would fail reading it.
        var four = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(4, 4, false, "B4", thread, new() { ["backtrack_from_step"] = 2 }));

        Assert.Equal("debug_complete", (string?)four["status"]);
        Assert.Equal(["step 1: B1", "step 4: B4"], WorkflowCalls.Strings(four["consolidated"]!["findings"]));
        Assert.Equal(["kept"], four["consolidated"]!["issues_found"]!.AsArray().Select(i => (string)i!["description"]!));
        Assert.Empty(four["consolidated"]!["relevant_files"]!.AsArray());
        Assert.Empty(four["consolidated"]!["files_checked"]!.AsArray());
        Assert.Equal(2, (int)four["debug_status"]!["steps_recorded"]!);
        Assert.Null(four["debug_status"]!["hypothesis"]);
        Assert.Contains("carried out in 2 steps", (string?)four["expert_analysis"]!["content"], StringComparison.Ordinal);
        Assert.Equal(before + 1, Daemon.LocalModel.Requests);
    }

    [Fact]
    public async Task BacktrackingMidway_ThenMoreSteps_KeepsOnlyTheStepsAfterTheTurn()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        string thread = (string)(await WorkflowCalls.OkAsync(client, "analyze", WorkflowCalls.Step(1, 5, true, "M1")))["continuation_id"]!;
        await WorkflowCalls.OkAsync(client, "analyze", WorkflowCalls.Step(2, 5, true, "M2", thread));
        await WorkflowCalls.OkAsync(client, "analyze", WorkflowCalls.Step(3, 5, true, "M3", thread));

        var back = await WorkflowCalls.OkAsync(client, "analyze", WorkflowCalls.Step(3, 5, true, "M3b", thread, new() { ["backtrack_from_step"] = 2 }));
        Assert.Equal(2, (int)back["analyze_status"]!["steps_recorded"]!); // steps 1 and the new 3

        await WorkflowCalls.OkAsync(client, "analyze", WorkflowCalls.Step(4, 5, true, "M4", thread));
        var done = await WorkflowCalls.OkAsync(client, "analyze", WorkflowCalls.Step(5, 5, false, "M5", thread));

        Assert.Equal(["step 1: M1", "step 3: M3b", "step 4: M4", "step 5: M5"], WorkflowCalls.Strings(done["consolidated"]!["findings"]));
    }

    [Fact]
    public async Task AStepSentAgain_ReplacesTheEarlierOne()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        string thread = (string)(await WorkflowCalls.OkAsync(client, "codereview", WorkflowCalls.Step(1, 3, true, "R1")))["continuation_id"]!;
        await WorkflowCalls.OkAsync(client, "codereview", WorkflowCalls.Step(2, 3, true, "R2-first", thread, new() { ["issues_found"] = new JsonArray(Issue("medium", "first try")) }));
        var again = await WorkflowCalls.OkAsync(client, "codereview", WorkflowCalls.Step(2, 3, true, "R2-again", thread));
        Assert.Equal(2, (int)again["codereview_status"]!["steps_recorded"]!);
        Assert.Equal(0, (int)again["codereview_status"]!["issues_found"]!);

        var done = await WorkflowCalls.OkAsync(client, "codereview", WorkflowCalls.Step(3, 3, false, "R3", thread));

        Assert.Equal(["step 1: R1", "step 2: R2-again", "step 3: R3"], WorkflowCalls.Strings(done["consolidated"]!["findings"]));
        Assert.Empty(done["consolidated"]!["issues_found"]!.AsArray());
    }

    [Fact]
    public async Task ANewStepOne_OnTheSameThread_StartsANewRun()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        string thread = (string)(await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(1, 2, true, "old-1")))["continuation_id"]!;
        await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(2, 2, false, "old-2", thread));

        var restart = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(1, 2, true, "new-1", thread));
        Assert.Equal(thread, (string?)restart["continuation_id"]);
        Assert.Equal(1, (int)restart["debug_status"]!["steps_recorded"]!);
        var done = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(2, 2, false, "new-2", thread));

        Assert.Equal(["step 1: new-1", "step 2: new-2"], WorkflowCalls.Strings(done["consolidated"]!["findings"]));
    }

    [Fact]
    public async Task WithoutTheAssistantModel_TheFinalStepAsksNoModel_AndReturnsTheConsolidatedFindings()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        long before = Daemon.LocalModel.Requests;
        string thread = (string)(await WorkflowCalls.OkAsync(client, "secaudit", WorkflowCalls.Step(1, 2, true, "S1")))["continuation_id"]!;

        var done = await WorkflowCalls.OkAsync(client, "secaudit", WorkflowCalls.Step(2, 2, false, "S2", thread, new() { ["use_assistant_model"] = false }));

        Assert.Equal("local_work_complete", (string?)done["status"]);
        Assert.Equal(["step 1: S1", "step 2: S2"], WorkflowCalls.Strings(done["consolidated"]!["findings"]));
        Assert.Null(done["expert_analysis"]);
        Assert.Equal(before, Daemon.LocalModel.Requests);
    }

    [Fact]
    public async Task AThreadBegunByChat_IsContinuedByDebug_WhoseFinalRequestCarriesTheChatTurnAsHistory()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        var chat = await WorkflowCalls.CallAsync(client, "chat", new JsonObject { ["prompt"] = "what could make the parser hang?", ["local_latency_ms"] = 0 });
        Assert.True((bool)chat["ok"]!, chat.ToJsonString());
        string thread = (string)chat["continuation_id"]!;

        var one = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(1, 2, true, "D1", thread));
        Assert.Equal(thread, (string?)one["continuation_id"]); // the chat's thread, not a new one
        Assert.Equal(1, (int)one["debug_status"]!["steps_recorded"]!);
        var done = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(2, 2, false, "D2", thread));

        Assert.Equal(thread, (string?)done["continuation_id"]);
        Assert.Equal(["step 1: D1", "step 2: D2"], WorkflowCalls.Strings(done["consolidated"]!["findings"]));
        // The chat's question and answer went before the final step's message; the debug steps themselves are in the prompt.
        Assert.Contains("after 2 earlier messages of conversation", (string?)done["expert_analysis"]!["content"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFinalStepWithNoEarlierTurns_SendsNoHistory()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        string thread = (string)(await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(1, 2, true, "N1")))["continuation_id"]!;

        var done = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(2, 2, false, "N2", thread));

        // The workflow's own steps are consolidated into the prompt, not replayed as conversation.
        Assert.DoesNotContain("earlier message", (string?)done["expert_analysis"]!["content"], StringComparison.Ordinal);
    }
}
