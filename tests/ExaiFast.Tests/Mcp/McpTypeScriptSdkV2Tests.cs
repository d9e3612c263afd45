using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Server.Mcp;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Stdio;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The official MCP TypeScript SDK v2 (npm @modelcontextprotocol/client, tests/clients/mcp-v2-client.mjs), which speaks
/// revision 2026-07-28, over Streamable HTTP, over MCP over WebSocket (through the script's own transport: the SDK ships
/// none) and over <c>exaifast stdio</c>: it must negotiate 2026-07-28 and stay on it (the script checks the wire: no
/// initialize, the revision on every request). The v1 SDK tests stay the legacy guard.
/// </summary>
public class McpTypeScriptSdkV2Tests
{
    [Theory]
    [InlineData(null)]
    [InlineData("a-token/with+odd=chars")]
    public async Task TheV2Sdk_OverStreamableHttp_Negotiates2026_ListsCallsAndCancels_WithoutASession(string? token)
    {
        var env = new Dictionary<string, string> { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" };
        if (token is not null)
        {
            env["EXAI_WS_TOKEN"] = token;
        }

        await using var daemon = await Daemon.StartAsync(env);
        await RunClientAsync(token is null ? ["http", daemon.HttpUri.ToString()] : ["http", daemon.HttpUri.ToString(), token]);

        // The aborted POST's call stopped at the model, and the daemon kept no session for the client.
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0);
        Assert.Equal(0, daemon.Services.GetRequiredService<McpHttpSessions>().Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("a-token/with+odd=chars")]
    public async Task TheV2Sdk_OverWebSocket_Negotiates2026_ListsCallsAndCancels(string? token)
    {
        var env = new Dictionary<string, string> { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" };
        if (token is not null)
        {
            env["EXAI_WS_TOKEN"] = token;
        }

        await using var daemon = await Daemon.StartAsync(env);
        await RunClientAsync(token is null ? ["ws", daemon.Uri.ToString()] : ["ws", daemon.Uri.ToString(), token]);

        // The cancelled call stopped at the model, and nothing is left running.
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0);
    }

    [Fact]
    public async Task TheV2Sdk_OverStdio_BridgedToADaemon_Negotiates2026_ListsCallsAndCancels()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        var env = new JsonObject { ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(CultureInfo.InvariantCulture), ["EXAIFAST_LOG_LEVEL"] = "warning" };
        await RunClientAsync(["stdio", ExaiFastExecutable.PathForScripts, env.ToJsonString()]);
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0);
    }

    [Fact]
    public async Task TheV2Sdk_OverStdio_InProcess_Negotiates2026_ListsAndCalls()
    {
        var env = new JsonObject
        {
            ["EXAI_WS_PORT"] = StdioBridgeTests.FreePort().ToString(CultureInfo.InvariantCulture),
            ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05",
            ["EXAIFAST_LOG_LEVEL"] = "warning",
        };
        await RunClientAsync(["stdio", ExaiFastExecutable.PathForScripts, env.ToJsonString(), "--in-process"]);
    }

    private static async Task RunClientAsync(string[] args)
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "@modelcontextprotocol", "client")),
            "tests/clients/node_modules/@modelcontextprotocol/client is missing: run scripts/test.sh (it runs npm ci)");
        var (exitCode, stdout, stderr) = await NodeProcess.RunAsync("mcp-v2-client.mjs", args);
        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        Assert.Contains("\"ok\":true", stdout, StringComparison.Ordinal);
        Assert.Contains("\"version\":\"2026-07-28\"", stdout, StringComparison.Ordinal);
    }
}
