using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Workflows;

/// <summary>
/// Workflow state lives in the thread, never in the tool: 100 workflows of one tool at once, on several connections,
/// each see only their own findings; 20 steps reported at once on one thread are all kept.
/// </summary>
public class WorkflowConcurrencyTests
{
    private static Task<Daemon> StartAsync(Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "200",
            ["EXAI_WS_QUEUE_DEPTH"] = "1000",
            ["EXAI_WS_GLOBAL_MAX_INFLIGHT"] = "1000",
            ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "8",
        };
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        return Daemon.StartAsync(env);
    }

    [Fact]
    public async Task AHundredWorkflowsAtOnce_EachFinalAnswerHoldsOnlyItsOwnFindings()
    {
        const int Workflows = 100, Connections = 10;
        await using var daemon = await StartAsync();
        var clients = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => ExaiWsClient.ConnectAsync(daemon.Uri)));
        try
        {
            string[] markers = [.. Enumerable.Range(0, Workflows).Select(i => $"MARK{i:000}x{Guid.NewGuid():N}")];
            long before = daemon.LocalModel.Requests;

            async Task<(string Thread, JsonObject Final)> RunAsync(int i)
            {
                var client = clients[i % Connections];
                string m = markers[i];
                var one = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(1, 3, true, $"{m}-1",
                    extra: new() { ["issues_found"] = new JsonArray(new JsonObject { ["severity"] = "low", ["description"] = $"{m}-issue" }) }));
                string thread = (string)one["continuation_id"]!;
                var two = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(2, 3, true, $"{m}-2", thread, new() { ["relevant_context"] = new JsonArray($"{m}.Method") }));
                Assert.Equal(2, (int)two["debug_status"]!["steps_recorded"]!);
                var final = await WorkflowCalls.OkAsync(client, "debug", WorkflowCalls.Step(3, 3, false, $"{m}-3", thread, new() { ["hypothesis"] = $"{m}-hyp" }));
                return (thread, final);
            }

            var results = await Task.WhenAll(Enumerable.Range(0, Workflows).Select(i => Task.Run(() => RunAsync(i), TestContext.Current.CancellationToken)));

            Assert.Equal(Workflows, results.Select(r => r.Thread).Distinct().Count());
            for (int i = 0; i < Workflows; i++)
            {
                string m = markers[i];
                var final = results[i].Final;
                Assert.Equal("debug_complete", (string?)final["status"]);
                Assert.Equal([$"step 1: {m}-1", $"step 2: {m}-2", $"step 3: {m}-3"], WorkflowCalls.Strings(final["consolidated"]!["findings"]));
                Assert.Equal([$"{m}-issue"], final["consolidated"]!["issues_found"]!.AsArray().Select(x => (string)x!["description"]!));
                Assert.Equal([$"{m}.Method"], WorkflowCalls.Strings(final["consolidated"]!["relevant_context"]));
                Assert.Equal($"{m}-hyp", (string?)final["debug_status"]!["hypothesis"]);
                string text = final.ToJsonString();
                var strangers = markers.Where((other, j) => j != i && text.Contains(other, StringComparison.Ordinal)).ToArray();
                Assert.True(strangers.Length == 0, $"workflow {i} saw {string.Join(", ", strangers)}");
            }

            Assert.Equal(before + Workflows, daemon.LocalModel.Requests); // one model request per workflow
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TwentyStepsReportedAtOnce_OnOneThread_AreAllKept()
    {
        const int Concurrent = 20, Total = Concurrent + 2;
        await using var daemon = await StartAsync(new() { ["MAX_CONVERSATION_TURNS"] = "50" });
        await using var a = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await using var b = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var one = await WorkflowCalls.OkAsync(a, "analyze", WorkflowCalls.Step(1, Total, true, "ONE-1"));
        string thread = (string)one["continuation_id"]!;
        Assert.Equal(49, (int)one["remaining_turns"]!);

        var answers = await Task.WhenAll(Enumerable.Range(2, Concurrent).Select(n => Task.Run(
            () => WorkflowCalls.OkAsync(n % 2 == 0 ? a : b, "analyze", WorkflowCalls.Step(n, Total, true, $"ONE-{n}", thread)), TestContext.Current.CancellationToken)));

        Assert.All(answers, x => Assert.Equal(thread, (string?)x["continuation_id"]));
        // Each append was atomic: every call saw a different count of turns.
        Assert.Equal(Enumerable.Range(49 - Concurrent, Concurrent).Reverse(), answers.Select(x => (int)x["remaining_turns"]!).Order().Reverse());

        var done = await WorkflowCalls.OkAsync(a, "analyze", WorkflowCalls.Step(Total, Total, false, $"ONE-{Total}", thread));

        Assert.Equal(Total, (int)done["analyze_status"]!["steps_recorded"]!);
        Assert.Equal(
            Enumerable.Range(1, Total).Select(n => $"step {n}: ONE-{n}").Order(StringComparer.Ordinal),
            WorkflowCalls.Strings(done["consolidated"]!["findings"]).Order(StringComparer.Ordinal));
        Assert.Equal($"step 1: ONE-1", WorkflowCalls.Strings(done["consolidated"]!["findings"])[0]);
        Assert.Equal($"step {Total}: ONE-{Total}", WorkflowCalls.Strings(done["consolidated"]!["findings"])[^1]);
    }

    [Fact]
    public async Task TheSameStepNumbers_OnTwoThreadsAtOnce_DoNotReplaceEachOther()
    {
        // The engine replaces a step sent again: by step number within its own thread only, never across threads.
        await using var daemon = await StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var threads = await Task.WhenAll(new[] { "X", "Y" }.Select(async who =>
            (Who: who, Thread: (string)(await WorkflowCalls.OkAsync(client, "refactor", WorkflowCalls.Step(1, 2, true, $"{who}-1")))["continuation_id"]!)));

        var finals = await Task.WhenAll(threads.Select(t => WorkflowCalls.OkAsync(client, "refactor", WorkflowCalls.Step(2, 2, false, $"{t.Who}-2", t.Thread))));

        Assert.Equal(["step 1: X-1", "step 2: X-2"], WorkflowCalls.Strings(finals[0]["consolidated"]!["findings"]));
        Assert.Equal(["step 1: Y-1", "step 2: Y-2"], WorkflowCalls.Strings(finals[1]["consolidated"]!["findings"]));
    }
}
