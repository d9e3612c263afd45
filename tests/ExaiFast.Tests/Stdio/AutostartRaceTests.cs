using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.Cli;

namespace ExaiFast.Tests.Stdio;

/// <summary>
/// Ten <c>exaifast stdio --autostart</c> started at once on a port where nothing listens (an editor opening ten
/// sessions): every one of them answers <c>tools/list</c>, and exactly one daemon was started and serves the port.
/// </summary>
public class AutostartRaceTests
{
    private const int Bridges = 10;

    [Fact]
    public async Task TenBridgesAtOnce_StartOneDaemon_AndAllAnswerToolsList()
    {
        int port = StdioBridgeTests.FreePort();
        string dir = Path.Combine(Path.GetTempPath(), $"exaifast-autostart-race-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string log = Path.Combine(dir, "daemon.log");
        var environment = new Dictionary<string, string>
        {
            ["EXAI_WS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["XDG_RUNTIME_DIR"] = dir, // the start lock and the PID file: this test's own
        };
        var bridges = new List<StdioProcess>();
        try
        {
            // All started before any is spoken to: each finds nothing listening and wants to start a daemon.
            for (int i = 0; i < Bridges; i++)
            {
                bridges.Add(StdioProcess.Start(environment, "--autostart", "--daemon-log-file", log, "--connect-timeout", "120"));
            }

            await Task.WhenAll(bridges.Select(ListToolsAsync));

            var started = bridges.SelectMany(b => StdioAutostartTests.StartedLine().Matches(b.Stderr))
                .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            Assert.True(started.Count == 1, $"{started.Count} bridges started a daemon (pids {string.Join(", ", started)}):\n{string.Join("\n---\n", bridges.Select(b => b.Stderr))}");
            int daemon = started[0];
            Assert.Equal([daemon], PortProcesses.DaemonsOnPort(port).Where(PortProcesses.IsAlive));
            Assert.Equal(1, PortProcesses.ListeningSockets(port));
            Assert.Equal(daemon.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(dir, $"exaifast-{port}.pid")).Trim());
        }
        finally
        {
            // Bridges first (each kill reaps it), then every daemon any of them may have started, even on failure.
            var pids = bridges.SelectMany(b => StdioAutostartTests.StartedLine().Matches(b.Stderr)).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            foreach (var bridge in bridges)
            {
                await bridge.DisposeAsync();
            }

            PortProcesses.KillAll(PortProcesses.DaemonsOnPort(port).Concat(pids));
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task ListToolsAsync(StdioProcess bridge)
    {
        await bridge.InitializeAsync();
        await bridge.RequestAsync("list", "tools/list");
        var response = await bridge.ResponseAsync("list", timeoutMs: 120_000);
        var tools = response["result"]?["tools"] as JsonArray;
        Assert.True(tools is not null, "tools/list failed: " + response.ToJsonString());
        Assert.Equal(ExpectedTools.Names, tools.Select(t => (string?)t!["name"]).Order(StringComparer.Ordinal));
    }
}
