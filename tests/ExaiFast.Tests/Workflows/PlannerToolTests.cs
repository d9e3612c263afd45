using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Workflows;

/// <summary>
/// planner: a plan built one step per call in its thread — a revision replaces the step it revises, a branch is kept
/// under <c>branches</c>, a step sent again replaces the earlier one, and the final step returns the whole plan — with
/// no model request at any step.
/// </summary>
public class PlannerToolTests(LocalDaemonFixture fixture) : IClassFixture<LocalDaemonFixture>
{
    private Daemon Daemon => fixture.Daemon;

    private static JsonObject Plan(int number, int total, bool more, string step, string? thread = null, JsonObject? extra = null)
    {
        var args = new JsonObject { ["step"] = step, ["step_number"] = number, ["total_steps"] = total, ["next_step_required"] = more };
        if (thread is not null)
        {
            args["continuation_id"] = thread;
        }

        foreach (var (key, value) in extra ?? [])
        {
            args[key] = value?.DeepClone();
        }

        return args;
    }

    [Fact]
    public async Task Steps_ARevision_AndABranch_MakeTheWholePlan_WithNoModelRequest()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        long before = Daemon.LocalModel.Requests;

        var one = await WorkflowCalls.OkAsync(client, "planner", Plan(1, 5, true, "P1 gather requirements"));
        Assert.Equal("planning", (string?)one["status"]);
        string thread = (string)one["continuation_id"]!;
        Assert.Equal(["1. P1 gather requirements"], WorkflowCalls.Strings(one["plan"]));
        Assert.Empty(one["branches"]!.AsObject());

        await WorkflowCalls.OkAsync(client, "planner", Plan(2, 5, true, "P2 design the schema", thread));
        var three = await WorkflowCalls.OkAsync(client, "planner", Plan(3, 5, true, "P3 migrate", thread));
        Assert.Equal(["1. P1 gather requirements", "2. P2 design the schema", "3. P3 migrate"], WorkflowCalls.Strings(three["plan"]));

        var revised = await WorkflowCalls.OkAsync(client, "planner", Plan(4, 5, true, "P2 design the schema with versioning", thread,
            new() { ["is_step_revision"] = true, ["revises_step_number"] = 2 }));
        Assert.Equal(["1. P1 gather requirements", "2. P2 design the schema with versioning", "3. P3 migrate"], WorkflowCalls.Strings(revised["plan"]));

        var branch = await WorkflowCalls.OkAsync(client, "planner", Plan(4, 5, true, "B4 dual-write instead", thread,
            new() { ["is_branch_point"] = true, ["branch_from_step"] = 3, ["branch_id"] = "approach-b" }));
        Assert.Equal(["4. B4 dual-write instead"], WorkflowCalls.Strings(branch["branches"]!["approach-b"]));
        Assert.Equal(3, branch["plan"]!.AsArray().Count); // the main line is not changed by the branch

        await WorkflowCalls.OkAsync(client, "planner", Plan(4, 5, true, "P4 cut over", thread));
        var done = await WorkflowCalls.OkAsync(client, "planner", Plan(5, 5, false, "P5 remove the old store", thread));

        Assert.Equal("planning_complete", (string?)done["status"]);
        Assert.Equal(thread, (string?)done["continuation_id"]);
        Assert.False((bool)done["next_step_required"]!);
        Assert.Equal(
            ["1. P1 gather requirements", "2. P2 design the schema with versioning", "3. P3 migrate", "4. P4 cut over", "5. P5 remove the old store"],
            WorkflowCalls.Strings(done["plan"]));
        Assert.Equal(["approach-b"], done["branches"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["4. B4 dual-write instead"], WorkflowCalls.Strings(done["branches"]!["approach-b"]));
        Assert.Equal(before, Daemon.LocalModel.Requests);
    }

    [Fact]
    public async Task AStepSentAgain_ReplacesTheEarlierOne_AndANewStepOneStartsANewPlan()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        string thread = (string)(await WorkflowCalls.OkAsync(client, "planner", Plan(1, 3, true, "A1")))["continuation_id"]!;
        await WorkflowCalls.OkAsync(client, "planner", Plan(2, 3, true, "A2", thread));

        var again = await WorkflowCalls.OkAsync(client, "planner", Plan(2, 3, true, "A2 again", thread));
        Assert.Equal(["1. A1", "2. A2 again"], WorkflowCalls.Strings(again["plan"]));

        var fresh = await WorkflowCalls.OkAsync(client, "planner", Plan(1, 2, true, "N1", thread));
        Assert.Equal(["1. N1"], WorkflowCalls.Strings(fresh["plan"]));
    }

    [Fact]
    public async Task MoreStepsNeeded_LetsAStepGoPastTheTotal()
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        string thread = (string)(await WorkflowCalls.OkAsync(client, "planner", Plan(1, 1, true, "M1")))["continuation_id"]!;

        var (code, message) = await WorkflowCalls.ErrorAsync(client, "planner", Plan(2, 1, true, "M2", thread));
        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.Contains("'step_number' (2) may not exceed 'total_steps' (1) unless more_steps_needed is true", message, StringComparison.Ordinal);

        var two = await WorkflowCalls.OkAsync(client, "planner", Plan(2, 1, false, "M2", thread, new() { ["more_steps_needed"] = true }));
        Assert.Equal(2, (int)two["total_steps"]!);
        Assert.Equal(["1. M1", "2. M2"], WorkflowCalls.Strings(two["plan"]));
    }

    [Theory]
    [InlineData("""{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"is_step_revision":true}""", "'revises_step_number' is required when is_step_revision is true")]
    [InlineData("""{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"is_branch_point":true,"branch_from_step":1}""", "'branch_from_step' and 'branch_id' are required")]
    [InlineData("""{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"is_branch_point":true,"branch_id":"b"}""", "'branch_from_step' and 'branch_id' are required")]
    [InlineData("""{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"branch_id":" "}""", "'branch_id' must be a non-empty string")]
    [InlineData("""{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"revises_step_number":0}""", "'revises_step_number' must be an integer from 1 to 100")]
    [InlineData("""{"step":"","step_number":1,"total_steps":2,"next_step_required":true}""", "'step' must be a non-empty string")]
    [InlineData("""{"step":"s","step_number":2,"total_steps":2,"next_step_required":true}""", "'continuation_id' is required from step 2 on")]
    [InlineData("""{"step":"s","step_number":2,"total_steps":2,"next_step_required":true,"continuation_id":"0b6f1b9e-0000-4000-8000-000000000002"}""", "'continuation_id': no conversation thread")]
    [InlineData("""{"step":"s","step_number":1,"total_steps":2}""", "'next_step_required' is required")]
    public async Task BadArguments_AreInvalidArguments_NamingTheField(string json, string error)
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);

        var (code, message) = await WorkflowCalls.ErrorAsync(client, "planner", JsonNode.Parse(json)!.AsObject());

        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.Contains(error, message, StringComparison.Ordinal);
    }
}
