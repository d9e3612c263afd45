using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// MCP_PROMPT_SIZE_LIMIT on every MCP door, against a real HTTP server standing in for the model API: a prompt (or a
/// workflow step) longer than the limit, counted in characters as the client's model wrote them, is answered with a
/// result asking for a file instead, and the model server gets no request; one at the limit goes through, and exai-ws
/// callers are not limited.
/// </summary>
public class McpPromptSizeTests
{
    private static Dictionary<string, string> Settings(FakeOpenAIServer fake, string? limit) => limit is null
        ? new() { ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(), ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey, ["OPENAI_COMPATIBLE_MODELS"] = "answer" }
        : new() { ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(), ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey, ["OPENAI_COMPATIBLE_MODELS"] = "answer", ["MCP_PROMPT_SIZE_LIMIT"] = limit };

    private static void AssertAskedForAFile(JsonObject result, string field, string files, int size, int limit)
    {
        Assert.False((bool?)result["isError"], result.ToJsonString());
        Assert.Equal("resend_prompt", (string?)result["structuredContent"]!["status"]);
        var answer = JsonNode.Parse((string)result["content"]![0]!["text"]!)!;
        Assert.Equal("resend_prompt", (string?)answer["status"]);
        Assert.Equal(size, (int)answer["metadata"]!["prompt_size"]!);
        Assert.Equal(limit, (int)answer["metadata"]!["limit"]!);
        Assert.Equal(field, (string?)answer["metadata"]!["field"]);
        string content = (string)answer["content"]!;
        Assert.Contains($"The {field} is too large to pass through MCP ({size:N0} characters; the limit is {limit:N0}, MCP_PROMPT_SIZE_LIMIT)", content, StringComparison.Ordinal);
        Assert.Contains($"absolute path in {files}", content, StringComparison.Ordinal);
        Assert.Null(result["_meta"]?["exaifast/model"]); // no model answered
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task AnOverlongPromptOrStep_MakesNoModelRequest_AndAsksForAFile_AtTheDefault60000Characters(string door)
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await Daemon.StartAsync(Settings(fake, limit: null)); // the default; the bridge's too
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon);

        // 60,001 characters, escapes counted as the characters they stand for: 59,999 é and a newline... and one more.
        AssertAskedForAFile(await mcp.CallAsync("chat", new JsonObject { ["prompt"] = new string('é', 59_999) + "\n!", ["model"] = "answer" }), "prompt", "files", 60_001, 60_000);
        AssertAskedForAFile(await mcp.CallAsync("thinkdeep", new JsonObject
        {
            ["step"] = new string('s', 70_000), ["step_number"] = 1, ["total_steps"] = 1, ["next_step_required"] = false, ["findings"] = "f", ["model"] = "answer",
        }), "step", "relevant_files", 70_000, 60_000);
        Assert.Equal(0, fake.RequestCount);

        // At the limit (an emoji is two UTF-16 characters, as the model's client counts them): the model is asked.
        var atLimit = await mcp.CallAsync("chat", new JsonObject { ["prompt"] = new string('p', 59_998) + "😀", ["model"] = "answer" });
        Assert.False((bool?)atLimit["isError"], atLimit.ToJsonString());
        Assert.Equal("ok", (string?)atLimit["structuredContent"]!["status"]);
        Assert.Equal(1, fake.RequestCount);

        // exai-ws callers are programs, not a model's bounded output: never limited.
        await using var exai = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await exai.CallAsync("big", "chat", new JsonObject { ["prompt"] = new string('x', 100_000), ["model"] = "answer" });
        Assert.True((bool)(await exai.ResultAsync("big"))["ok"]!);
        Assert.Equal(2, fake.RequestCount);
    }

    [Theory]
    [InlineData("http", "0", 100_000)] // off
    [InlineData("http", "1000", 1_000)] // at a limit of one's own
    [InlineData("ws", "0", 100_000)]
    public async Task TheLimitIsASetting_AndZeroTurnsItOff(string door, string limit, int size)
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await Daemon.StartAsync(Settings(fake, limit));
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon);

        var passed = await mcp.CallAsync("chat", new JsonObject { ["prompt"] = new string('p', size), ["model"] = "answer" });
        Assert.Equal("ok", (string?)passed["structuredContent"]!["status"]);
        Assert.Equal(1, fake.RequestCount);
        if (limit != "0")
        {
            AssertAskedForAFile(await mcp.CallAsync("chat", new JsonObject { ["prompt"] = new string('p', size + 1), ["model"] = "answer" }), "prompt", "files", size + 1, size);
            Assert.Equal(1, fake.RequestCount);
        }
    }
}
