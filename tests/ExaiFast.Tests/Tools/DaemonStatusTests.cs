using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Stdio;

namespace ExaiFast.Tests.Tools;

/// <summary>
/// The daemon's one status object, as the <c>status</c> tool and exai-ws <c>health</c> report it: every door's clients
/// counted together, and under <c>stdio --in-process</c> the one client that started the process.
/// </summary>
public class DaemonStatusTests
{
    private static JsonObject StatusCall(JsonNode id) => new()
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id,
        ["method"] = "tools/call",
        ["params"] = new JsonObject { ["name"] = "status", ["arguments"] = new JsonObject() },
    };

    [Fact]
    public async Task EveryDoor_ReportsTheSameCounts_OfEveryDoorsClients()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        await using var exaiWs = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await mcp.SendAsync(StatusCall(1));
        var reply = await mcp.WaitForAsync(m => m["method"] is null && (int?)m["id"] == 1);
        Assert.Contains("connections 2; sessions 2;", (string?)reply["result"]!["content"]![0]!["text"], StringComparison.Ordinal);

        await exaiWs.SendAsync(new JsonObject { ["op"] = "health", ["request_id"] = "h" });
        var health = (await exaiWs.OpAsync("health_res"))["health"]!;
        Assert.Equal(2, (int)health["connections"]!);
        Assert.Equal(2, (int)health["sessions"]!);
    }

    [Fact]
    public async Task InProcess_CountsTheOneClient_OverNoSocket()
    {
        await using var stdio = StdioProcess.Start(new Dictionary<string, string>(), "--in-process");
        await stdio.InitializeAsync();

        await stdio.SendAsync(StatusCall(2));
        var reply = await stdio.ResponseAsync(2);
        Assert.Contains("connections 0; sessions 1;", (string?)reply["result"]!["content"]![0]!["text"], StringComparison.Ordinal);
    }
}
