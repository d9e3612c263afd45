using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Workflows;

/// <summary>challenge: the statement wrapped in a critical-thinking prompt, as JSON, with no model request.</summary>
public class ChallengeToolTests
{
    private const string Statement = "The cache is \"always\" safe — 100% 日本 ✓\nsecond line";

    [Fact]
    public async Task ReturnsTheStatementAndTheChallenge_OverExaiWsAndMcp_WithNoModelRequest()
    {
        await using var rig = await ProviderRig.StartAsync(); // a model that would answer if asked
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        long local = rig.Daemon.LocalModel.Requests;

        var frame = await WorkflowCalls.CallAsync(client, "challenge", new JsonObject { ["prompt"] = Statement, ["model"] = "answer" });

        Assert.True((bool)frame["ok"]!, frame.ToJsonString());
        Assert.Null(frame["continuation_id"]);
        var body = WorkflowCalls.Body(frame);
        Assert.Equal("challenge_accepted", (string?)body["status"]);
        Assert.Equal(Statement, (string?)body["original_statement"]);
        Assert.Contains($"\"{Statement}\"", (string?)body["challenge_prompt"], StringComparison.Ordinal);
        Assert.StartsWith("CRITICAL REASSESSMENT", (string?)body["challenge_prompt"], StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["instructions"]));
        Assert.Equal(["status", "original_statement", "challenge_prompt", "instructions"], body.Select(p => p.Key));

        await using var mcp = await WorkflowCalls.McpAsync(rig.Daemon);
        var response = await WorkflowCalls.McpRequestAsync(mcp, "tools/call", new JsonObject { ["name"] = "challenge", ["arguments"] = new JsonObject { ["prompt"] = Statement } });
        var result = response["result"]!;
        Assert.False((bool)result["isError"]!);
        Assert.Equal(Statement, (string?)JsonNode.Parse((string)result["content"]![0]!["text"]!)!["original_statement"]);

        Assert.Equal(0, rig.Fake.RequestCount);
        Assert.Equal(local, rig.Daemon.LocalModel.Requests);
    }

    [Theory]
    [InlineData("""{}""", "'prompt' is required")]
    [InlineData("""{"prompt":"  \n"}""", "'prompt' must be a non-empty string")]
    [InlineData("""{"prompt":42}""", "'prompt' must be")]
    public async Task AMissingOrBlankStatement_IsInvalidArguments(string json, string error)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        var (code, message) = await WorkflowCalls.ErrorAsync(client, "challenge", JsonNode.Parse(json)!.AsObject());

        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.Contains(error, message, StringComparison.Ordinal);
    }
}
