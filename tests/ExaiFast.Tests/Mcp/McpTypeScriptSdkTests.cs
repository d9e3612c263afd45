using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Mcp;

/// <summary>The official MCP TypeScript SDK (tests/clients, npm ci) as an independent client of MCP over WebSocket.</summary>
public class McpTypeScriptSdkTests
{
    [Fact]
    public async Task TheOfficialSdk_Initializes_ListsAndCallsTools_GetsProgress_AndCancels()
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "@modelcontextprotocol", "sdk")),
            "tests/clients/node_modules/@modelcontextprotocol/sdk is missing: run scripts/test.sh (it runs npm ci)");
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });

        var (exitCode, stdout, stderr) = await NodeProcess.RunAsync("mcp-sdk-client.mjs", [daemon.Uri.ToString()]);

        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        Assert.Contains("\"ok\":true", stdout, StringComparison.Ordinal);
        // The client saw the call counted as cancelled on /metrics while it was still connected, and no response for it.
        // Here: the work itself stopped at the model, and nothing is left running.
        Assert.Contains("\"cancelledOnDaemon\":true", stdout, StringComparison.Ordinal);
        Assert.Equal(1, daemon.LocalModel.Cancelled);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.BusyWorkers == 0);
    }
}
