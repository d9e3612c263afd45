using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The official MCP TypeScript SDK (tests/clients, npm ci) as an independent client of MCP over WebSocket and over
/// Streamable HTTP, with and without the daemon's token.
/// </summary>
public class McpTypeScriptSdkTests
{
    [Theory]
    [InlineData("ws", null)]
    [InlineData("ws", "a-token/with+odd=chars")]
    [InlineData("http", null)]
    [InlineData("http", "a-token/with+odd=chars")]
    public async Task TheOfficialSdk_Initializes_ListsAndCallsTools_InParallel_GetsProgress_AndCancels(string transport, string? token)
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "@modelcontextprotocol", "sdk")),
            "tests/clients/node_modules/@modelcontextprotocol/sdk is missing: run scripts/test.sh (it runs npm ci)");
        var env = new Dictionary<string, string> { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" };
        if (token is not null)
        {
            env["EXAI_WS_TOKEN"] = token;
        }

        await using var daemon = await Daemon.StartAsync(env);

        string[] args = token is null ? [transport, daemon.HttpUri.ToString()] : [transport, daemon.HttpUri.ToString(), token];
        var (exitCode, stdout, stderr) = await NodeProcess.RunAsync("mcp-sdk-client.mjs", args);

        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        Assert.Contains("\"ok\":true", stdout, StringComparison.Ordinal);
        // The client saw the call counted as cancelled on /metrics while it was still connected, and no response for it.
        // Here: the work itself stopped at the model, and nothing is left running.
        Assert.Contains("\"cancelledOnDaemon\":true", stdout, StringComparison.Ordinal);
        Assert.Equal(1, daemon.LocalModel.Cancelled);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.BusySlots == 0);
    }
}
