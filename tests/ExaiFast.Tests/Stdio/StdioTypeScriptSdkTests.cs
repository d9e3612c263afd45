using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Stdio;

/// <summary>
/// The official MCP TypeScript SDK's <c>StdioClientTransport</c> spawning <c>exaifast stdio</c>, as Claude Code and the
/// other MCP clients do (tests/clients/mcp-stdio-client.mjs): bridged, bridged with a token, and in process.
/// </summary>
public class StdioTypeScriptSdkTests
{
    private static string Executable => ExaiFastExecutable.PathForScripts;

    [Fact]
    public async Task TheOfficialSdk_OverStdio_BridgedToADaemon()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        await RunClientAsync(new JsonObject { ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(CultureInfo.InvariantCulture) });
        Assert.Equal(1, daemon.LocalModel.Cancelled);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.BusySlots == 0);
    }

    [Fact]
    public async Task TheOfficialSdk_OverStdio_BridgedToADaemonWithAToken()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05", ["EXAI_WS_TOKEN"] = "sdk-secret" });
        await RunClientAsync(new JsonObject { ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(CultureInfo.InvariantCulture), ["EXAI_WS_TOKEN"] = "sdk-secret" });
        Assert.Equal(1, daemon.LocalModel.Cancelled);
    }

    [Fact]
    public async Task TheOfficialSdk_OverStdio_InProcess()
    {
        await RunClientAsync(new JsonObject { ["EXAI_WS_PORT"] = StdioBridgeTests.FreePort().ToString(CultureInfo.InvariantCulture), ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" }, "--in-process");
    }

    private static async Task RunClientAsync(JsonObject env, params string[] stdioArgs)
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "@modelcontextprotocol", "sdk")),
            "tests/clients/node_modules/@modelcontextprotocol/sdk is missing: run scripts/test.sh (it runs npm ci)");
        var (exitCode, stdout, stderr) = await NodeProcess.RunAsync("mcp-stdio-client.mjs", [Executable, env.ToJsonString(), .. stdioArgs]);
        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        Assert.Contains("\"ok\":true", stdout, StringComparison.Ordinal);
    }
}
