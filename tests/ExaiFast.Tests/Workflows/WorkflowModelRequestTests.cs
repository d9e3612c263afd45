using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;
using ExaiFast.Tools.Workflows;

namespace ExaiFast.Tests.Workflows;

/// <summary>
/// Whole workflows against the fake OpenAI-compatible server, checking what the model was sent: nothing at the
/// intermediate steps; at the final step one request with the tool's system prompt, the thread's earlier chat turn as
/// history, and every step's findings, issues, hypothesis, the tool's own settings and the relevant file's numbered lines.
/// </summary>
public class WorkflowModelRequestTests
{
    /// <summary>One of each tool's own fields, sent at the final step, and how the prompt states it.</summary>
    private static readonly Dictionary<string, (string Field, JsonNode Value, string Stated)> OwnSetting = new()
    {
        ["thinkdeep"] = ("problem_context", "latency doubled after the upgrade", "problem_context: latency doubled after the upgrade"),
        ["analyze"] = ("analysis_type", "performance", "analysis_type: performance"),
        ["codereview"] = ("review_type", "security", "review_type: security"),
        ["refactor"] = ("refactor_type", "decompose", "refactor_type: decompose"),
        ["secaudit"] = ("audit_focus", "owasp", "audit_focus: owasp"),
        ["tracer"] = ("trace_mode", "precision", "trace_mode: precision"),
        ["docgen"] = ("num_files_documented", 3, "num_files_documented: 3"),
        ["precommit"] = ("path", "/repo/here", "path: /repo/here"),
    };

    private static List<(string Role, string Content)> Messages(JsonObject body) =>
        [.. body["messages"]!.AsArray().Select(m => ((string)m!["role"]!, (string)m["content"]!))];

    [Theory]
    [MemberData(nameof(WorkflowCalls.ToolNames), MemberType = typeof(WorkflowCalls))]
    public async Task TheFinalStep_SendsOneRequest_WithSystemPrompt_History_EveryStepsFindings_AndTheNumberedFile(string tool)
    {
        var ct = TestContext.Current.CancellationToken;
        string file = Path.Combine(Path.GetTempPath(), $"wf-{tool}-{Guid.NewGuid():N}.cs");
        await File.WriteAllTextAsync(file, "int Parse(string s)\n{\n    return int.Parse(s); // MARK-FILE\n}\n", ct);
        await using var rig = await ProviderRig.StartAsync();
        try
        {
            await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
            var chat = await WorkflowCalls.CallAsync(client, "chat", new JsonObject { ["prompt"] = $"CHAT-Q {tool}: why does Parse throw?", ["model"] = "answer" });
            Assert.True((bool)chat["ok"]!, chat.ToJsonString());
            string thread = (string)chat["continuation_id"]!;
            Assert.Equal(1, rig.Fake.RequestCount);

            var one = await WorkflowCalls.OkAsync(client, tool, WorkflowCalls.Step(1, 3, true, $"FIND-1 {tool}", thread, new JsonObject
            {
                ["issues_found"] = new JsonArray(new JsonObject { ["severity"] = "high", ["description"] = "ISSUE-1 unchecked parse" }),
                ["relevant_context"] = new JsonArray("Parser.Parse"),
                ["files_checked"] = new JsonArray("/checked/one.cs"),
            }));
            Assert.Equal(thread, (string?)one["continuation_id"]);
            await WorkflowCalls.OkAsync(client, tool, WorkflowCalls.Step(2, 3, true, $"FIND-2 {tool}", thread, new JsonObject
            {
                ["relevant_files"] = new JsonArray(file),
                ["hypothesis"] = "HYP-2 empty input",
                ["confidence"] = "medium",
            }));
            Assert.Equal(1, rig.Fake.RequestCount); // the intermediate steps sent nothing

            var final = WorkflowCalls.Step(3, 3, false, $"FIND-3 {tool}", thread, new JsonObject { ["confidence"] = "high" });
            if (OwnSetting.TryGetValue(tool, out var own))
            {
                final[own.Field] = own.Value.DeepClone();
            }

            var done = await WorkflowCalls.OkAsync(client, tool, final);

            Assert.Equal(2, rig.Fake.RequestCount); // one request for the whole workflow
            Assert.Equal($"{tool}_complete", (string?)done["status"]);
            Assert.Equal(FakeOpenAIServer.Answer, (string?)done["expert_analysis"]!["content"]);
            Assert.Equal("openai", (string?)done["expert_analysis"]!["provider"]);
            Assert.Equal("answer", (string?)done["expert_analysis"]!["model"]); // the thread's model, kept

            var body = rig.Fake.Requests.Last().Body;
            Assert.Equal("answer", (string?)body["model"]);
            var messages = Messages(body);
            Assert.Equal(["system", "user", "assistant", "user"], messages.Select(m => m.Role));
            Assert.Equal(WorkflowCatalog.All.Single(s => s.Name == tool).SystemPrompt, messages[0].Content);
            Assert.Equal($"[chat] CHAT-Q {tool}: why does Parse throw?", messages[1].Content);
            Assert.Equal(FakeOpenAIServer.Answer, messages[2].Content);

            string prompt = messages[3].Content;
            Assert.StartsWith($"The {tool} investigation below was carried out in 3 steps.", prompt, StringComparison.Ordinal);
            Assert.Contains("## Step 1 (confidence: low)\nFindings: FIND-1 " + tool, prompt, StringComparison.Ordinal);
            Assert.Contains("## Step 2 (confidence: medium)\nFindings: FIND-2 " + tool + "\nHypothesis: HYP-2 empty input", prompt, StringComparison.Ordinal);
            Assert.Contains("## Step 3 (confidence: high)\nFindings: FIND-3 " + tool, prompt, StringComparison.Ordinal);
            Assert.True(prompt.IndexOf("FIND-1", StringComparison.Ordinal) < prompt.IndexOf("FIND-2", StringComparison.Ordinal)
                && prompt.IndexOf("FIND-2", StringComparison.Ordinal) < prompt.IndexOf("FIND-3", StringComparison.Ordinal), prompt);
            Assert.Contains("- [high] ISSUE-1 unchecked parse", prompt, StringComparison.Ordinal);
            Assert.Contains("Parser.Parse", prompt, StringComparison.Ordinal);
            Assert.Contains("/checked/one.cs", prompt, StringComparison.Ordinal);
            Assert.Contains($"--- BEGIN FILE: {file} (4 lines) ---\n   1│ int Parse(string s)\n   2│ {{\n   3│     return int.Parse(s); // MARK-FILE\n   4│ }}\n--- END FILE: {file} ---", prompt, StringComparison.Ordinal);
            if (OwnSetting.TryGetValue(tool, out own))
            {
                Assert.Contains(own.Stated, prompt, StringComparison.Ordinal);
            }

            // The chat turn is not repeated in the prompt, and no step is sent twice.
            Assert.Equal(1, CountOf(prompt, $"FIND-1 {tool}"));
            Assert.DoesNotContain("CHAT-Q", prompt, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task TheFinalStep_NamesItsModel_OverTheThreadsOwn_AndRecordsItsTurn()
    {
        await using var rig = await ProviderRig.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        string thread = (string)(await WorkflowCalls.OkAsync(client, "thinkdeep", WorkflowCalls.Step(1, 2, true, "T1")))["continuation_id"]!;

        var done = await WorkflowCalls.OkAsync(client, "thinkdeep", WorkflowCalls.Step(2, 2, false, "T2", thread, new JsonObject { ["model"] = "stream", ["temperature"] = 0.7 }));

        Assert.Equal("chunk0 chunk1 chunk2 chunk3 chunk4 ", (string?)done["expert_analysis"]!["content"]);
        var body = Assert.Single(rig.Fake.Requests).Body;
        Assert.Equal("stream", (string?)body["model"]);
        Assert.Equal(0.7, (double)body["temperature"]!);
        Assert.Equal(["system", "user"], Messages(body).Select(m => m.Role)); // the workflow's own steps are not history

        // The answered final step is a turn of the thread: a chat continuing it sees the workflow.
        var chat = await WorkflowCalls.CallAsync(client, "chat", new JsonObject { ["prompt"] = "and now?", ["model"] = "answer", ["continuation_id"] = thread });
        Assert.True((bool)chat["ok"]!, chat.ToJsonString());
        var history = Messages(rig.Fake.Requests.Last().Body);
        Assert.Contains(history, m => m.Role == "user" && m.Content.Contains("[thinkdeep step 2/2", StringComparison.Ordinal) && m.Content.Contains("Findings: T2", StringComparison.Ordinal));
        Assert.Contains(history, m => m.Role == "assistant" && m.Content == "chunk0 chunk1 chunk2 chunk3 chunk4 ");
    }

    [Fact]
    public async Task AProviderFailureAtTheFinalStep_IsTheCallsError_AndTheStepCanBeSentAgain()
    {
        await using var rig = await ProviderRig.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        string thread = (string)(await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(1, 2, true, "P1")))["continuation_id"]!;

        var (code, _) = await WorkflowCalls.ErrorAsync(client, "debug", WorkflowCalls.Step(2, 2, false, "P2", thread, new JsonObject { ["model"] = "status-500" }));
        Assert.Equal("PROVIDER_ERROR", code);

        var done = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(2, 2, false, "P2", thread, new JsonObject { ["model"] = "answer" }));
        Assert.Equal(["step 1: P1", "step 2: P2"], WorkflowCalls.Strings(done["consolidated"]!["findings"]));
    }

    private static int CountOf(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
