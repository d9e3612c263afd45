using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// MCP prompts (clients' slash commands) on every door — Streamable HTTP, MCP over WebSocket, the stdio bridge — read
/// by our own client as raw frames: one prompt per tool the daemon offers plus <c>continue</c>, messages that ask the
/// model to call the tool, the client's latest thread for <c>continue</c>, and -32602 for what cannot be answered.
/// </summary>
public class McpPromptsTests
{
    private static JsonObject Get(string name, JsonObject? arguments = null) =>
        arguments is null ? new JsonObject { ["name"] = name } : new JsonObject { ["name"] = name, ["arguments"] = arguments };

    private static string TextOf(JsonObject response)
    {
        Assert.True(response["result"] is JsonObject, response.ToJsonString());
        var message = Assert.Single(response["result"]!["messages"]!.AsArray())!;
        Assert.Equal("user", (string?)message["role"]);
        Assert.Equal("text", (string?)message["content"]!["type"]);
        return (string)message["content"]!["text"]!;
    }

    private static void AssertInvalidParams(JsonObject response, string expected)
    {
        Assert.True(response["error"] is JsonObject, response.ToJsonString());
        Assert.Equal(-32602, (int)response["error"]!["code"]!);
        Assert.Contains(expected, (string?)response["error"]!["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task ThePromptsFollowTheDaemonsTools_AndAskTheModelToCallTheTool(string door)
    {
        // The bridge's own process has no profile: its prompts must come from the daemon's tools.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_TOOLS"] = "lean", ["DISABLED_TOOLS"] = "debug" });
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon);
        Assert.Equal("""{"listChanged":false}""", mcp.InitializeResult["capabilities"]!["prompts"]!.ToJsonString());

        var prompts = (await mcp.RequestAsync("prompts/list"))["result"]!["prompts"]!.AsArray();
        Assert.Equal(["challenge", "chat", "codereview", "consensus", "listmodels", "planner", "thinkdeep", "continue"],
            prompts.Select(p => (string)p!["name"]!));
        var review = prompts.Single(p => (string?)p!["name"] == "codereview")!;
        Assert.Equal("Code review", (string?)review["title"]);
        Assert.StartsWith("Review code in steps", (string?)review["description"], StringComparison.Ordinal);
        Assert.Equal("""[{"name":"step","required":true},{"name":"relevant_files","required":false},{"name":"model","required":false}]""",
            new JsonArray([.. review["arguments"]!.AsArray().Select(a => (JsonNode)new JsonObject { ["name"] = (string?)a!["name"], ["required"] = (bool?)a["required"] })]).ToJsonString());
        Assert.All(prompts, p => Assert.All(p!["arguments"]!.AsArray(), a => Assert.False(string.IsNullOrWhiteSpace((string?)a!["description"]))));
        Assert.Empty(prompts.Single(p => (string?)p!["name"] == "listmodels")!["arguments"]!.AsArray());

        string text = TextOf(await mcp.RequestAsync("prompts/get", Get("codereview", new JsonObject
        {
            ["step"] = "Review the frame parser for \"off by one\" errors",
            ["relevant_files"] = "/src/Parser.cs, /src/Frame.cs",
        })));
        Assert.Contains("Call `codereview` with these arguments: {\"step\":\"Review the frame parser for \\\"off by one\\\" errors\",\"relevant_files\":[\"/src/Parser.cs\",\"/src/Frame.cs\"]}", text, StringComparison.Ordinal);
        Assert.Contains("fill in the other required ones yourself from our conversation: step_number, total_steps, next_step_required, findings.", text, StringComparison.Ordinal);
        Assert.Contains("follow each answer's next_call", text, StringComparison.Ordinal);

        text = TextOf(await mcp.RequestAsync("prompts/get", Get("chat", new JsonObject { ["prompt"] = "Is this design sound?", ["model"] = "auto", ["files"] = "" })));
        Assert.Contains("Call `chat` with these arguments: {\"prompt\":\"Is this design sound?\",\"model\":\"auto\"}.", text, StringComparison.Ordinal);
        Assert.Contains("Call `listmodels`.", TextOf(await mcp.RequestAsync("prompts/get", Get("listmodels"))), StringComparison.Ordinal);

        // A tool the daemon does not offer has no prompt.
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("debug", new JsonObject { ["step"] = "x" })), "unknown prompt debug");
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task ARevisionBefore2025_06_18_GetsNoTitles(string door)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon, revision: "2025-03-26");
        var prompts = (await mcp.RequestAsync("prompts/list"))["result"]!["prompts"]!.AsArray();
        Assert.Contains(prompts, p => (string?)p!["name"] == "secaudit");
        Assert.All(prompts, p => Assert.Null(p!["title"]));
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task WhatCannotBeAnswered_IsInvalidParams_SayingWhy(string door)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon);

        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("no-such-prompt")), "unknown prompt no-such-prompt; this server's prompts are ");
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("chat")), "prompt chat needs the argument prompt");
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("chat", new JsonObject { ["prompt"] = "  " })), "prompt chat needs the argument prompt");
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("thinkdeep", new JsonObject { ["model"] = "auto" })), "prompt thinkdeep needs the argument step");
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("chat", new JsonObject { ["prompt"] = "x", ["temperature"] = "1" })),
            "prompt chat takes no argument temperature; its arguments are prompt, files, model");
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("chat", new JsonObject { ["prompt"] = 5 })), "argument prompt must be a string");
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("chat", new JsonObject())), "needs the argument prompt");
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", new JsonObject { ["name"] = "chat", ["arguments"] = "prompt" }), "\"arguments\" must be an object of strings");
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", new JsonObject()), "prompts/get needs a string \"name\"");
        AssertInvalidParams(await mcp.RequestAsync("prompts/list", new JsonObject { ["cursor"] = "abc" }), "\"cursor\" is not a nextCursor this server gave");

        // The session goes on.
        Assert.Contains("Call `chat`", TextOf(await mcp.RequestAsync("prompts/get", Get("chat", new JsonObject { ["prompt"] = "still here" }))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task Continue_GoesOnWithThisClientsLatestThread_WithItsModel(string door)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon);
        AssertInvalidParams(await mcp.RequestAsync("prompts/get", Get("continue")), "there is no conversation to continue");

        string first = (string)(await mcp.CallAsync("chat", new JsonObject { ["prompt"] = "the first conversation" }))["continuation_id"]!;
        string second = (string)(await mcp.CallAsync("chat", new JsonObject { ["prompt"] = "the second conversation" }))["continuation_id"]!;
        // The first goes on, so it is the latest; another client's newer thread is not this client's.
        await mcp.CallAsync("chat", new JsonObject { ["prompt"] = "more of the first", ["continuation_id"] = first });
        await using (var other = await McpDoorClient.ConnectAsync("http", daemon))
        {
            await other.CallAsync("chat", new JsonObject { ["prompt"] = "someone else's" });
        }

        string text = TextOf(await mcp.RequestAsync("prompts/get", Get("continue")));
        Assert.StartsWith($"Continue the exaifast conversation {first} (Conversation with chat (local-echo): 2 turns, updated ", text, StringComparison.Ordinal);
        Assert.Contains($"Call `chat` with continuation_id \"{first}\", model \"local-echo\"", text, StringComparison.Ordinal);
        Assert.EndsWith("as its prompt the next question or step of our work, in your own words.", text, StringComparison.Ordinal);

        text = TextOf(await mcp.RequestAsync("prompts/get", Get("continue", new JsonObject { ["prompt"] = "What about the edge cases?" })));
        Assert.EndsWith("and as its prompt: What about the edge cases?", text, StringComparison.Ordinal);

        text = TextOf(await mcp.RequestAsync("prompts/get", Get("continue", new JsonObject { ["continuation_id"] = second })));
        Assert.Contains($"Call `chat` with continuation_id \"{second}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(first, text, StringComparison.Ordinal);
    }
}
