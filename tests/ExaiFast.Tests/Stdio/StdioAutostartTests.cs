using System.Globalization;
using System.Text.RegularExpressions;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.Redis;

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

    /// <summary>
    /// README: autostart happens "at most once per 30 s". A daemon that cannot start (its health file's directory is a
    /// file: <c>serve</c> exits 2 before it binds) leaves nothing listening, and the bridge keeps reconnecting: each of
    /// those refused attempts would start another daemon if the interval were not kept.
    /// </summary>
    [Fact]
    public async Task AnAutostartThatFails_IsNotRepeated_WhileTheBridgeKeepsReconnecting()
    {
        int port = StdioBridgeTests.FreePort();
        string log = Path.Combine(Path.GetTempPath(), $"exaifast-autostart-{Guid.NewGuid():N}", "daemon.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        string file = Path.Combine(Path.GetDirectoryName(log)!, "a-file");
        await File.WriteAllTextAsync(file, "", TestContext.Current.CancellationToken);
        var environment = Environment(port, log);
        environment["EXAIFAST_HEALTH_FILE"] = Path.Combine(file, "health.json"); // only 'serve' writes it
        environment["EXAIFAST_LOG_LEVEL"] = "debug"; // the bridge's every connection attempt
        try
        {
            await using var bridge = StdioProcess.Start(environment, "--autostart", "--daemon-log-file", log, "--connect-timeout", "120");

            // The start failed, and then the bridge tried (and was refused) three more times.
            await Eventually.Until(() => Task.FromResult(AttemptsAfterTheFailure(bridge.Stderr) >= 3));
            Assert.True(Regex.Matches(bridge.Stderr, "Nothing listens at .*: starting a daemon").Count == 1, bridge.Stderr);
            Assert.True(StartedLine().Matches(bridge.Stderr).Count == 1, bridge.Stderr);
            Assert.Contains("cannot write the health file", await File.ReadAllTextAsync(log, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        finally
        {
            PortProcesses.KillAll(PortProcesses.DaemonsOnPort(port));
            Directory.Delete(Path.GetDirectoryName(log)!, recursive: true);
        }

        static int AttemptsAfterTheFailure(string stderr) =>
            stderr.IndexOf("Starting a daemon failed", StringComparison.Ordinal) is int at and >= 0
                ? Regex.Matches(stderr[at..], "Cannot reach the daemon at").Count
                : 0;
    }

    /// <summary>
    /// README: an autostarted daemon logs to <c>--daemon-log-file</c>, else <c>EXAIFAST_DAEMON_LOG_FILE</c>, else
    /// <c>$XDG_CACHE_HOME/exaifast/daemon.log</c>, i.e. <c>~/.cache/exaifast/daemon.log</c>.
    /// </summary>
    [Theory]
    [InlineData("XDG_CACHE_HOME")]
    [InlineData("HOME")]
    [InlineData("EXAIFAST_DAEMON_LOG_FILE")]
    public async Task AnAutostartedDaemon_LogsWhereReadmeSays_WithoutDaemonLogFile(string variable)
    {
        int port = StdioBridgeTests.FreePort();
        string dir = Path.Combine(Path.GetTempPath(), $"exaifast-autostart-log-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var environment = new Dictionary<string, string>
        {
            ["EXAI_WS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["XDG_RUNTIME_DIR"] = dir,
        };
        string expected;
        switch (variable)
        {
            case "XDG_CACHE_HOME":
                environment["XDG_CACHE_HOME"] = Path.Combine(dir, "cache");
                expected = Path.Combine(dir, "cache", "exaifast", "daemon.log");
                break;
            case "HOME":
                environment["HOME"] = Path.Combine(dir, "home"); // and no XDG_CACHE_HOME
                expected = Path.Combine(dir, "home", ".cache", "exaifast", "daemon.log");
                break;
            default:
                environment["XDG_CACHE_HOME"] = Path.Combine(dir, "cache"); // the variable wins over it
                environment["EXAIFAST_DAEMON_LOG_FILE"] = Path.Combine(dir, "chosen.log");
                expected = Path.Combine(dir, "chosen.log");
                break;
        }

        int? pid = null;
        try
        {
            await using (var bridge = StdioProcess.Start(environment, "--autostart"))
            {
                await bridge.InitializeAsync();
                await bridge.RequestAsync("list", "tools/list");
                var tools = await bridge.ResponseAsync("list", timeoutMs: 60_000);
                Assert.True(tools["result"]?["tools"] is not null, tools.ToJsonString());
                var started = StartedLine().Match(bridge.Stderr);
                Assert.True(started.Success, "the bridge did not log the daemon it started:\n" + bridge.Stderr);
                pid = int.Parse(started.Groups[1].Value, CultureInfo.InvariantCulture);
                Assert.Contains($"logging to {expected}", bridge.Stderr, StringComparison.Ordinal);
            }

            // The daemon flushes its log in the background: its first lines arrive soon after it listens.
            await Eventually.Until(() => Task.FromResult(File.Exists(expected)
                && File.ReadAllText(expected).Contains($"Listening on 127.0.0.1:{port}", StringComparison.Ordinal)));
        }
        finally
        {
            PortProcesses.KillAll(PortProcesses.DaemonsOnPort(port).Append(pid ?? 0));
            Directory.Delete(dir, recursive: true);
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
