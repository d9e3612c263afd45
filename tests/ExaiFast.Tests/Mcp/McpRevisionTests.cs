using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Mcp;

/// <summary>Every MCP revision README.md promises is echoed by <c>initialize</c>, then served.</summary>
public class McpRevisionTests
{
    [Theory]
    [InlineData("2025-11-25")]
    [InlineData("2025-06-18")]
    [InlineData("2025-03-26")]
    [InlineData("2024-11-05")]
    public async Task Initialize_WithASupportedRevision_EchoesIt_AndTheSessionWorks(string revision)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");

        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "initialize",
            ["params"] = new JsonObject { ["protocolVersion"] = revision, ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "rev", ["version"] = "1" } },
        });
        var init = await client.WaitForAsync(m => (int?)m["id"] == 1);
        Assert.True(init["result"] is not null, $"initialize failed for {revision}: {init.ToJsonString()}");
        Assert.Equal(revision, (string?)init["result"]!["protocolVersion"]);

        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" });
        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "version", ["arguments"] = new JsonObject() } });
        var call = await client.WaitForAsync(m => (int?)m["id"] == 2);
        Assert.False((bool?)call["result"]?["isError"] ?? true, call.ToJsonString());
    }

    [Fact]
    public async Task ServerDiscover_From_A2026Client_ListsOnlyInitializeEraRevisions_AndInitializeThenWorks()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");

        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = "d", ["method"] = "server/discover",
            ["params"] = new JsonObject
            {
                ["_meta"] = new JsonObject
                {
                    ["io.modelcontextprotocol/protocolVersion"] = "2026-07-28",
                    ["io.modelcontextprotocol/clientCapabilities"] = new JsonObject(),
                },
            },
        });
        var discovered = (await client.WaitForAsync(m => (string?)m["id"] == "d"))["result"]!;
        Assert.Equal("complete", (string?)discovered["resultType"]);
        string[] versions = discovered["supportedVersions"]!.AsArray().Select(v => (string)v!).ToArray();
        Assert.Equal(["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"], versions); // no 2026-07-28: the client falls back
        Assert.NotNull(discovered["capabilities"]!["tools"]);
        Assert.Equal("exaifast", (string?)discovered["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]);

        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "initialize",
            ["params"] = new JsonObject { ["protocolVersion"] = versions[0], ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "rev", ["version"] = "1" } },
        });
        Assert.Equal("2025-11-25", (string?)(await client.WaitForAsync(m => (int?)m["id"] == 1))["result"]!["protocolVersion"]);
    }
}
