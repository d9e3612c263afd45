using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// Conversation threads as MCP resources on every door (Streamable HTTP, MCP over WebSocket, the stdio bridge), read
/// by our own client: listed in pages, read whole, offered as a template, with MCP's errors for a URI that names no
/// thread; and which threads a session is shown.
/// </summary>
public class McpResourcesTests
{
    private static JsonObject Chat(string prompt, string? continuation = null)
    {
        var arguments = new JsonObject { ["prompt"] = prompt };
        if (continuation is not null)
        {
            arguments["continuation_id"] = continuation;
        }

        return arguments;
    }

    private static string ThreadOf(JsonObject result)
    {
        Assert.False((bool?)result["isError"] ?? false, result.ToJsonString());
        return (string)result["continuation_id"]!;
    }

    private static JsonObject Uri(string uri) => new() { ["uri"] = uri };

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task AThreadACallMade_IsListed_ReadWhole_AndOfferedAsATemplate(string door)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon);
        Assert.Equal("""{"subscribe":false,"listChanged":false}""", mcp.InitializeResult["capabilities"]!["resources"]!.ToJsonString());

        var templates = (await mcp.RequestAsync("resources/templates/list"))["result"]!["resourceTemplates"]!.AsArray();
        Assert.Equal("exaifast://threads/{id}", (string?)Assert.Single(templates)!["uriTemplate"]);

        string thread = ThreadOf(await mcp.CallAsync("chat", Chat("Which resources does the daemon offer?\nA second line the title leaves out.")));
        ThreadOf(await mcp.CallAsync("chat", Chat("And a follow-up question", thread)));

        var list = (await mcp.RequestAsync("resources/list"))["result"]!.AsObject();
        Assert.Null(list["nextCursor"]);
        var listed = Assert.Single(list["resources"]!.AsArray())!;
        Assert.Equal($"exaifast://threads/{thread}", (string?)listed["uri"]);
        Assert.Equal("Which resources does the daemon offer?", (string?)listed["name"]);
        Assert.Equal("Which resources does the daemon offer?", (string?)listed["title"]);
        Assert.Equal("text/markdown", (string?)listed["mimeType"]);
        Assert.Matches(@"^Conversation with chat \(.+\): 2 turns, updated \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", (string?)listed["description"]);

        var contents = (await mcp.RequestAsync("resources/read", Uri($"exaifast://threads/{thread}")))["result"]!["contents"]!.AsArray();
        var read = Assert.Single(contents)!;
        Assert.Equal($"exaifast://threads/{thread}", (string?)read["uri"]);
        Assert.Equal("text/markdown", (string?)read["mimeType"]);
        string text = (string)read["text"]!;
        Assert.Contains("## Turn 1: chat", text, StringComparison.Ordinal);
        Assert.Contains("## Turn 2: chat", text, StringComparison.Ordinal);
        Assert.Contains("A second line the title leaves out.", text, StringComparison.Ordinal);
        Assert.Contains("And a follow-up question", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task AURINamingNoThread_IsResourceNotFound_AndAMalformedOne_InvalidParams(string door)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon);

        string unknown = $"exaifast://threads/{Guid.NewGuid()}";
        var missing = (await mcp.RequestAsync("resources/read", Uri(unknown)))["error"]!;
        Assert.Equal(-32002, (int)missing["code"]!);
        Assert.Equal(unknown, (string?)missing["data"]!["uri"]);
        Assert.Contains("names no conversation thread", (string?)missing["message"], StringComparison.Ordinal);

        foreach (string malformed in (string[])["exaifast://threads/not-a-uuid", "file:///etc/passwd", $"exaifast://threads/{Guid.NewGuid()}/x"])
        {
            var invalid = (await mcp.RequestAsync("resources/read", Uri(malformed)))["error"]!;
            Assert.Equal(-32602, (int)invalid["code"]!);
            Assert.Contains("exaifast://threads/{id}", (string?)invalid["message"], StringComparison.Ordinal);
        }

        var noUri = (await mcp.RequestAsync("resources/read"))["error"]!;
        Assert.Equal(-32602, (int)noUri["code"]!);
        var badCursor = (await mcp.RequestAsync("resources/list", new JsonObject { ["cursor"] = "not one of ours" }))["error"]!;
        Assert.Equal(-32602, (int)badCursor["code"]!);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task MoreThreadsThanAPage_AreListedInPages_NewestFirst_EachOnce(string door)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon);
        var made = new List<string>();
        for (int i = 0; i < 31; i++)
        {
            made.Add(ThreadOf(await mcp.CallAsync("chat", Chat($"thread number {i}"))));
        }

        var pages = new List<JsonArray>();
        string? cursor = null;
        do
        {
            var parameters = cursor is null ? new JsonObject() : new JsonObject { ["cursor"] = cursor };
            var result = (await mcp.RequestAsync("resources/list", parameters))["result"]!;
            pages.Add(result["resources"]!.AsArray());
            cursor = (string?)result["nextCursor"];
        }
        while (cursor is not null && pages.Count < 10);

        Assert.Equal([25, 6], pages.Select(p => p.Count));
        var listed = pages.SelectMany(p => p).Select(r => ((string)r!["uri"]!)["exaifast://threads/".Length..]).ToList();
        Assert.Equal(made.AsEnumerable().Reverse(), listed); // newest first, each once
    }

    [Fact]
    public async Task ADaemonOpenToTheNetworkWithoutAToken_ListsASessionOnlyItsOwnThreads_ButReadsAnyByItsId()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_HOST"] = "0.0.0.0", ["EXAI_WS_ALLOW_REMOTE_WITHOUT_TOKEN"] = "true" });
        await using var mine = await McpDoorClient.ConnectAsync("ws", daemon);
        await using var theirs = await McpDoorClient.ConnectAsync("ws", daemon);
        string thread = ThreadOf(await mine.CallAsync("chat", Chat("mine alone")));

        Assert.Single((await mine.RequestAsync("resources/list"))["result"]!["resources"]!.AsArray());
        Assert.Empty((await theirs.RequestAsync("resources/list"))["result"]!["resources"]!.AsArray());
        Assert.NotNull((await theirs.RequestAsync("resources/read", Uri($"exaifast://threads/{thread}")))["result"]);
    }

    [Fact]
    public async Task WithAToken_EverySessionSeesTheDaemonsThreads()
    {
        const string token = "resources-token";
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_HOST"] = "0.0.0.0", ["EXAI_WS_TOKEN"] = token });
        await using var mine = await McpDoorClient.ConnectAsync("ws", daemon, bearer: token);
        await using var theirs = await McpDoorClient.ConnectAsync("ws", daemon, bearer: token);
        string thread = ThreadOf(await mine.CallAsync("chat", Chat("shared by the token")));

        var listed = Assert.Single((await theirs.RequestAsync("resources/list"))["result"]!["resources"]!.AsArray())!;
        Assert.Equal($"exaifast://threads/{thread}", (string?)listed["uri"]);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task AnAnswerOverTheOutputBudget_IsCutAtALineBreak_WithANotice_AndALinkToTheWholeAnswer(string door)
    {
        await using var fake = FakeOpenAIServer.Start();
        var settings = new Dictionary<string, string>
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = "long",
            ["MAX_MCP_OUTPUT_TOKENS"] = "2000",
        };
        await using var daemon = await Daemon.StartAsync(settings);
        await using var mcp = await McpDoorClient.ConnectAsync(door, daemon, bridgeEnv: new() { ["MAX_MCP_OUTPUT_TOKENS"] = "2000" });

        var result = await mcp.CallAsync("chat", new JsonObject { ["prompt"] = "go on at length", ["model"] = "long" });
        string thread = ThreadOf(result);
        var content = result["content"]!.AsArray();
        string text = (string)content[0]!["text"]!;

        // Whole lines of the answer, then the notice; together within 2,000 tokens of 4 characters.
        int notice = text.IndexOf("\n\n[Answer cut at a line break", StringComparison.Ordinal);
        Assert.True(notice > 0, text[^Math.Min(text.Length, 600)..]);
        string kept = text[..notice];
        string answer = FakeOpenAIServer.LongAnswer;
        Assert.StartsWith(kept, answer, StringComparison.Ordinal);
        Assert.Equal('\n', answer[kept.Length]);
        Assert.True(text.Length <= 2000 * 4, $"{text.Length} characters");
        int omitted = answer.Length - kept.Length;
        Assert.Contains($"{omitted.ToString("N0", CultureInfo.InvariantCulture)} more characters ({answer[kept.Length..].Trim('\n').Split('\n').Length} lines", text, StringComparison.Ordinal);
        Assert.Contains($"exaifast://threads/{thread}", text, StringComparison.Ordinal);
        Assert.Contains($"continuation_id {thread}", text, StringComparison.Ordinal);

        var link = content[1]!;
        Assert.Equal("resource_link", (string?)link["type"]);
        Assert.Equal($"exaifast://threads/{thread}", (string?)link["uri"]);
        Assert.Equal("text/markdown", (string?)link["mimeType"]);
        Assert.Contains(thread, (string?)content[2]!["text"], StringComparison.Ordinal); // the continuation offer, as always

        Assert.Equal(true, (bool?)result["structuredContent"]!["truncated"]);
        Assert.Equal(omitted, (int?)result["structuredContent"]!["omitted_characters"]);

        var whole = (string)(await mcp.RequestAsync("resources/read", Uri((string)link["uri"]!)))["result"]!["contents"]![0]!["text"]!;
        Assert.Contains(answer, whole, StringComparison.Ordinal);

        // A program on exai-ws gets the answer whole.
        await using var program = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await program.CallAsync("p", "chat", new JsonObject { ["prompt"] = "go on at length", ["model"] = "long" });
        var res = await program.ResultAsync("p", 30_000);
        Assert.Equal(answer, (string?)res["text"]);
    }

    [Fact]
    public async Task AnAnswerWithinTheBudget_IsSentAsIs()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = "long",
        });
        await using var mcp = await McpDoorClient.ConnectAsync("ws", daemon);

        var result = await mcp.CallAsync("chat", new JsonObject { ["prompt"] = "go on at length", ["model"] = "long" });

        Assert.Equal(FakeOpenAIServer.LongAnswer, (string?)result["content"]![0]!["text"]); // 30,000 characters: within the default 25,000 tokens
        Assert.Equal(2, result["content"]!.AsArray().Count);
        Assert.Null(result["structuredContent"]!["truncated"]);
    }
}
