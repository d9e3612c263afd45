using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Stdio;

namespace ExaiFast.Tests.Tools;

/// <summary>
/// EXAIFAST_TOOLS and DISABLED_TOOLS seen from every door: exai-ws list_tools/call_tool, MCP over WebSocket, Streamable
/// HTTP and stdio (bridged and in process), and the real executable refusing an unknown name.
/// </summary>
public class ToolSelectionTests
{
    // lean minus debug, in list order.
    private static readonly string[] LeanWithoutDebug = ["challenge", "chat", "codereview", "consensus", "listmodels", "planner", "thinkdeep"];

    private static readonly Dictionary<string, string> LeanWithoutDebugEnv = new() { ["EXAIFAST_TOOLS"] = "lean", ["DISABLED_TOOLS"] = "debug" };

    private static JsonObject Request(JsonNode id, string method, JsonObject? parameters = null) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };

    private static JsonObject CallTool(JsonNode id, string tool) =>
        Request(id, "tools/call", new JsonObject { ["name"] = tool, ["arguments"] = new JsonObject { ["prompt"] = "hi", ["step"] = "s" } });

    private static string[] Names(JsonNode? tools) => [.. tools!.AsArray().Select(t => (string)t!["name"]!)];

    [Fact]
    public async Task ExaiWs_ListsOnlyTheSelection_AndRefusesADisabledTool_NamingTheSetting()
    {
        await using var daemon = await Daemon.StartAsync(LeanWithoutDebugEnv);
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await client.SendAsync(new JsonObject { ["op"] = "list_tools", ["request_id"] = "l" });
        Assert.Equal(LeanWithoutDebug, Names((await client.OpAsync("list_tools_res"))["tools"]));

        await client.CallAsync("d", "debug");
        var debug = await client.ResultAsync("d");
        Assert.Equal("TOOL_NOT_FOUND", (string?)debug["error"]!["code"]);
        Assert.Equal("no tool named 'debug': it is disabled on this daemon by DISABLED_TOOLS", (string?)debug["error"]!["message"]);

        await client.CallAsync("a", "analyze_EXAI-WS");
        Assert.Equal("no tool named 'analyze_EXAI-WS': it is disabled on this daemon by EXAIFAST_TOOLS=lean", (string?)(await client.ResultAsync("a"))["error"]!["message"]);

        await client.CallAsync("n", "nonesuch");
        Assert.Equal("no tool named 'nonesuch'", (string?)(await client.ResultAsync("n"))["error"]!["message"]);

        await client.CallAsync("c", "chat", new JsonObject { ["prompt"] = "still served" });
        Assert.True((bool)(await client.ResultAsync("c"))["ok"]!);
    }

    [Fact]
    public async Task McpOverWebSocket_ListsOnlyTheSelection_AndRefusesADisabledTool_AsAnUnknownOne()
    {
        await using var daemon = await Daemon.StartAsync(LeanWithoutDebugEnv);
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        await client.SendAsync(Request(1, "initialize", new JsonObject { ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "t", ["version"] = "1" } }));
        await client.WaitForAsync(m => (int?)m["id"] == 1);

        await client.SendAsync(Request(2, "tools/list"));
        Assert.Equal(LeanWithoutDebug, Names((await client.WaitForAsync(m => (int?)m["id"] == 2))["result"]!["tools"]));

        await client.SendAsync(CallTool(3, "debug"));
        var refused = await client.WaitForAsync(m => (int?)m["id"] == 3);
        Assert.Equal(-32602, (int)refused["error"]!["code"]!);
        Assert.Equal("Unknown tool: debug: it is disabled on this daemon by DISABLED_TOOLS", (string?)refused["error"]!["message"]);

        await client.SendAsync(CallTool(4, "nonesuch"));
        Assert.Equal("Unknown tool: nonesuch", (string?)(await client.WaitForAsync(m => (int?)m["id"] == 4))["error"]!["message"]);
    }

    [Fact]
    public async Task McpOverHttp_ListsOnlyTheSelection_AndRefusesADisabledTool()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_TOOLS"] = "chat,version" });
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        async Task<JsonObject> PostAsync(JsonObject message)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp"))
            {
                Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
            using var response = await http.SendAsync(request, ct);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsObject();
        }

        Assert.Equal(["chat", "version"], Names((await PostAsync(Request(1, "tools/list")))["result"]!["tools"]));
        var refused = await PostAsync(CallTool(2, "planner"));
        Assert.Equal("Unknown tool: planner: it is disabled on this daemon by EXAIFAST_TOOLS=chat,version", (string?)refused["error"]!["message"]);
    }

    [Fact]
    public async Task Stdio_Bridged_ShowsTheDaemonsSelection_AndPassesOnWhyATooIsRefused()
    {
        await using var daemon = await Daemon.StartAsync(LeanWithoutDebugEnv);
        await using var bridge = StdioProcess.Start(new Dictionary<string, string> { ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await bridge.InitializeAsync();

        await bridge.RequestAsync(2, "tools/list");
        Assert.Equal(LeanWithoutDebug, Names((await bridge.ResponseAsync(2))["result"]!["tools"]));

        await bridge.SendAsync(CallTool(3, "debug"));
        var refused = await bridge.ResponseAsync(3);
        Assert.Equal(-32602, (int)refused["error"]!["code"]!);
        Assert.Equal("Unknown tool: debug: it is disabled on this daemon by DISABLED_TOOLS", (string?)refused["error"]!["message"]);
    }

    [Fact]
    public async Task Stdio_InProcess_ListsOnlyTheSelection_AndRefusesADisabledTool()
    {
        await using var stdio = StdioProcess.Start(new Dictionary<string, string> { ["DISABLED_TOOLS"] = "status, version" }, "--in-process");
        await stdio.InitializeAsync();

        string[] expected = [.. ExpectedTools.Names.Where(n => n is not ("status" or "version"))];
        await stdio.RequestAsync(2, "tools/list");
        Assert.Equal(expected, Names((await stdio.ResponseAsync(2))["result"]!["tools"]));

        await stdio.SendAsync(CallTool(3, "version"));
        Assert.Equal("Unknown tool: version: it is disabled on this daemon by DISABLED_TOOLS", (string?)(await stdio.ResponseAsync(3))["error"]!["message"]);
    }

    [Theory]
    [InlineData("DISABLED_TOOLS", "chat,nonesuch", "serve")]
    [InlineData("EXAIFAST_TOOLS", "chat,lean", "serve")]
    [InlineData("EXAIFAST_TOOLS", "nonesuch", "stdio")]
    public async Task AnUnknownToolName_Exits2_NamingIt(string key, string value, string command)
    {
        await using var process = ExaiFastProcess.Start(new Dictionary<string, string> { [key] = value }, command, "--port", "0");

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        string bad = value.Split(',')[^1];
        Assert.StartsWith($"exaifast: invalid {key} (from environment): '{value}' is not ", process.Stderr, StringComparison.Ordinal);
        Assert.Contains($"'{bad}' is no tool; the tools: analyze, challenge, chat,", process.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, process.Stdout);
    }

    [Fact]
    public async Task AToolListNamingNone_Exits2()
    {
        await using var process = ExaiFastProcess.Start(new Dictionary<string, string> { ["EXAIFAST_TOOLS"] = " , " }, "serve", "--port", "0");

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("exaifast: invalid EXAIFAST_TOOLS (from environment): ' , ' is not full, lean or a comma-separated list of tool names (it names none)",
            process.Stderr.Trim());
    }

    [Fact]
    public async Task AnUnknownToolName_AsAFlag_Exits2_NamingTheFlag()
    {
        await using var process = ExaiFastProcess.Start("serve", "--port", "0", "--disabled-tools", "Chat,thinkdep");

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith("exaifast: invalid --disabled-tools: 'Chat,thinkdep' is not a comma-separated list of tool names ('thinkdep' is no tool;", process.Stderr, StringComparison.Ordinal);
    }
}
