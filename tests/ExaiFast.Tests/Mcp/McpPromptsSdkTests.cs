using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The official MCP TypeScript SDK (tests/clients/mcp-prompts-client.mjs) lists and gets the prompts over WebSocket,
/// Streamable HTTP and stdio (bridged to a daemon with a profile of its own): its schemas check every result, and the
/// test checks what it saw.
/// </summary>
public class McpPromptsSdkTests
{
    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    [InlineData("stdio")]
    public async Task TheOfficialSdk_ListsAndGetsThePrompts_AndContinuesItsThread(string transport)
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "@modelcontextprotocol", "sdk")),
            "tests/clients/node_modules/@modelcontextprotocol/sdk is missing: run scripts/test.sh (it runs npm ci)");
        await using var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_TOOLS"] = "chat,codereview,version" });
        string[] args = transport == "stdio"
            ? [transport, ExaiFastExecutable.PathForScripts, new JsonObject { ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(CultureInfo.InvariantCulture) }.ToJsonString()]
            : [transport, daemon.HttpUri.ToString()];

        var (exitCode, stdout, stderr) = await NodeProcess.RunAsync("mcp-prompts-client.mjs", args);

        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        var report = JsonNode.Parse(stdout)!;
        Assert.Equal("""{"listChanged":false}""", report["prompts"]!.ToJsonString());
        var list = report["list"]!.AsArray();
        Assert.Equal(["chat", "codereview", "version", "continue"], list.Select(p => (string)p!["name"]!));
        Assert.Equal("Chat", (string?)list[0]!["title"]);
        Assert.Equal("prompt", (string?)list[0]!["arguments"]![0]!["name"]);
        Assert.Equal(true, (bool?)list[0]!["arguments"]![0]!["required"]);
        Assert.Contains("Call `codereview` with these arguments: {\"step\":\"Review the parser\",\"relevant_files\":[\"/src/a.cs\",\"/src/b.cs\"]}", (string?)report["review"], StringComparison.Ordinal);
        string thread = (string)report["thread"]!;
        Assert.Contains($"Call `chat` with continuation_id \"{thread}\"", (string?)report["resumed"], StringComparison.Ordinal);
        Assert.EndsWith("as its prompt: and then?", (string?)report["resumed"], StringComparison.Ordinal);
        Assert.Equal(-32602, (int?)report["unknown"]!["code"]);
        Assert.Contains("unknown prompt no-such-prompt", (string?)report["unknown"]!["message"], StringComparison.Ordinal);
        Assert.Equal(-32602, (int?)report["missing"]!["code"]);
        Assert.Contains("prompt chat needs the argument prompt", (string?)report["missing"]!["message"], StringComparison.Ordinal);
    }
}
