using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The official MCP TypeScript SDK (tests/clients/mcp-resources-client.mjs) reads the conversation threads as resources
/// over WebSocket, Streamable HTTP and stdio, and follows the resource_link of an answer cut to MAX_MCP_OUTPUT_TOKENS:
/// its schemas check every result, and the test checks what it saw.
/// </summary>
public class McpResourcesSdkTests
{
    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task TheOfficialSdk_PagesReadsAndFollowsTheCutAnswersLink(string transport)
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "@modelcontextprotocol", "sdk")),
            "tests/clients/node_modules/@modelcontextprotocol/sdk is missing: run scripts/test.sh (it runs npm ci)");
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = "long",
            ["MAX_MCP_OUTPUT_TOKENS"] = "2000",
        });
        string[] args = transport == "stdio"
            ? [transport, ExaiFastExecutable.PathForScripts, new JsonObject
            {
                ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(CultureInfo.InvariantCulture),
                ["MAX_MCP_OUTPUT_TOKENS"] = "2000",
            }.ToJsonString()]
            : [transport, daemon.HttpUri.ToString()];

        var (exitCode, stdout, stderr) = await NodeProcess.RunAsync("mcp-resources-client.mjs", args);

        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        var report = JsonNode.Parse(stdout)!;
        Assert.Equal("""{"subscribe":false,"listChanged":false}""", report["resources"]!.ToJsonString());
        string thread = (string)report["thread"]!;
        // 27 chats, then the cut one: its thread is the 28th, listed once the list was read, so 27 in two pages.
        Assert.Equal([25, 2], report["pageSizes"]!.AsArray().Select(n => (int)n!));
        var uris = report["uris"]!.AsArray().Select(u => (string)u!).ToList();
        Assert.Equal(uris.Count, uris.Distinct().Count());
        Assert.Equal($"exaifast://threads/{thread}", uris[^1]); // the oldest, last
        Assert.Contains("threads through the sdk", (string?)report["readText"], StringComparison.Ordinal);
        Assert.Equal(["exaifast://threads/{id}"], report["templates"]!.AsArray().Select(t => (string)t!));
        Assert.Equal(-32002, (int?)report["notFound"]);

        string cut = (string)report["cut"]!;
        int notice = cut.IndexOf("\n\n[Answer cut at a line break", StringComparison.Ordinal);
        Assert.True(notice > 0, cut);
        Assert.StartsWith(cut[..notice], FakeOpenAIServer.LongAnswer, StringComparison.Ordinal);
        Assert.Equal(true, (bool?)report["structured"]!["truncated"]);
        Assert.Equal($"exaifast://threads/{(string?)report["structured"]!["continuation_id"]}", (string?)report["link"]!["uri"]);
        Assert.Contains(FakeOpenAIServer.LongAnswer, (string?)report["whole"], StringComparison.Ordinal);
    }
}
