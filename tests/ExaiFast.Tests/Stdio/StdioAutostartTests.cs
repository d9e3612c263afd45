using System.Globalization;
using System.Text.RegularExpressions;
using ExaiFast.Tests.Cli;

namespace ExaiFast.Tests.Stdio;

/// <summary><c>exaifast stdio --autostart</c> on a port where nothing listens: it starts a detached daemon and uses it.</summary>
public partial class StdioAutostartTests
{
    [Fact]
    public async Task Autostart_StartsADetachedDaemon_ThatAnswers_AndOutlivesTheBridge()
    {
        int port = StdioBridgeTests.FreePort();
        string log = Path.Combine(Path.GetTempPath(), $"exaifast-autostart-{Guid.NewGuid():N}", "daemon.log");
        int? pid = null;
        try
        {
            await using (var bridge = StdioProcess.Start(Environment(port, log), "--autostart", "--daemon-log-file", log))
            {
                await bridge.InitializeAsync();
                await bridge.CallAsync(1, "autostarted", latencyMs: 100);
                var response = await bridge.ResponseAsync(1, timeoutMs: 60_000);
                Assert.False((bool)response["result"]!["isError"]!, response.ToJsonString());
                Assert.Contains("autostarted", (string?)response["result"]!["content"]![0]!["text"], StringComparison.Ordinal);

                var started = StartedLine().Match(bridge.Stderr);
                Assert.True(started.Success, "the bridge did not log the daemon it started:\n" + bridge.Stderr);
                pid = int.Parse(started.Groups[1].Value, CultureInfo.InvariantCulture);
                Assert.NotEqual(bridge.Pid, pid);

                bridge.CloseStdin();
                Assert.Equal(0, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(15)));
            }

            // Detached: the daemon serves on after the bridge is gone, and logged to its own file.
            Assert.True(PortProcesses.IsAlive(pid.Value), "the autostarted daemon died with the bridge");
            using var http = new HttpClient();
            string health = await http.GetStringAsync($"http://127.0.0.1:{port}/health", TestContext.Current.CancellationToken);
            Assert.Contains("\"status\":\"ok\"", health, StringComparison.Ordinal);
            Assert.Contains($"Listening on 127.0.0.1:{port}", await File.ReadAllTextAsync(log, TestContext.Current.CancellationToken), StringComparison.Ordinal);
            Assert.Equal(0, Kill(pid.Value, 15));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (PortProcesses.IsAlive(pid.Value))
            {
                Assert.True(DateTime.UtcNow < deadline, "the autostarted daemon did not stop on SIGTERM");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            // Whatever happened above, no daemon of this test survives it.
            PortProcesses.KillAll(PortProcesses.DaemonsOnPort(port).Append(pid ?? 0));

            Directory.Delete(Path.GetDirectoryName(log)!, recursive: true);
        }
    }

    // The start lock and the daemon's PID file go beside its log, which the test removes.
    private static Dictionary<string, string> Environment(int port, string log) => new()
    {
        ["EXAI_WS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["XDG_RUNTIME_DIR"] = Path.GetDirectoryName(log)!,
    };

    [GeneratedRegex(@"Started a daemon \(pid (\d+)\)")]
    internal static partial Regex StartedLine();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
