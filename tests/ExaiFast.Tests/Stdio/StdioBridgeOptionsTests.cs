using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.Redis;

namespace ExaiFast.Tests.Stdio;

/// <summary>
/// How the real <c>exaifast stdio</c> finds its daemon, as README's bridge section promises: <c>--url</c> names it,
/// <c>--env-file</c> is read (and a missing one is a clear error), and while nothing answers, reconnects are spaced by
/// the backoff (0.1 s doubling to 5 s, jittered).
/// </summary>
public class StdioBridgeOptionsTests
{
    [Fact]
    public async Task Url_ConnectsToThatDaemon_NotToTheConfiguredPort()
    {
        await using var daemon = ExaiFastProcess.Start("serve", "--port", "0");
        int port = await daemon.WaitForReadyAsync();
        using var configured = new RefusedPort(); // EXAI_WS_PORT names a port where nothing listens
        await using var bridge = StdioProcess.Start(
            new Dictionary<string, string> { ["EXAI_WS_PORT"] = configured.Port.ToString(CultureInfo.InvariantCulture) },
            "--url", $"ws://127.0.0.1:{port}/", "--connect-timeout", "30");
        await bridge.InitializeAsync();
        await bridge.CallAsync(1, "through the url");
        var response = await bridge.ResponseAsync(1);
        Assert.False((bool)response["result"]!["isError"]!, response.ToJsonString());
        Assert.Contains("through the url", (string?)response["result"]!["content"]![0]!["text"], StringComparison.Ordinal);
        await Eventually.Until(async () => await CallsAsync(port) == 1); // that daemon ran it
    }

    [Fact]
    public async Task EnvFile_IsRead_ItsPortAndTokenReachTheDaemon()
    {
        string token = "env-file-" + Guid.NewGuid().ToString("N");
        await using var daemon = ExaiFastProcess.Start(new Dictionary<string, string> { ["EXAI_WS_TOKEN"] = token }, "serve", "--port", "0");
        int port = await daemon.WaitForReadyAsync();
        string file = Path.Combine(Path.GetTempPath(), $"exaifast-bridge-{Guid.NewGuid():N}.env");
        await File.WriteAllTextAsync(file, $"EXAI_WS_PORT={port}\nEXAI_WS_TOKEN={token}\n", TestContext.Current.CancellationToken);
        try
        {
            // Nothing in the environment: the port and the token come from the file alone.
            await using var bridge = StdioProcess.Start(new Dictionary<string, string>(), "--env-file", file, "--connect-timeout", "30");
            await bridge.InitializeAsync();
            await bridge.CallAsync(1, "configured by file");
            var response = await bridge.ResponseAsync(1);
            Assert.False((bool)response["result"]!["isError"]!, response.ToJsonString());
            await Eventually.Until(async () => await CallsAsync(port) == 1);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--env-file", "/nonexistent/exaifast-bridge.env", "exaifast: --env-file '/nonexistent/exaifast-bridge.env' does not exist")]
    [InlineData("--url", "http://127.0.0.1:8079/", "exaifast: --url 'http://127.0.0.1:8079/' is not a ws:// or wss:// URL")]
    public async Task ABadEnvFileOrUrl_ExitsWithAClearError_AndNothingOnStdout(string flag, string value, string error)
    {
        await using var bridge = StdioProcess.Start(new Dictionary<string, string>(), flag, value);
        Assert.Equal(2, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(error, bridge.Stderr, StringComparison.Ordinal);
        Assert.Empty(bridge.Messages); // and DisposeAsync checks stdout held nothing else either
    }

    /// <summary>
    /// A listener that accepts each connection and closes it at once (a daemon gone, its port still open): every attempt
    /// fails, and the bridge tries again after 0.1 s, 0.2 s, 0.4 s … each jittered by at most ±25 %. Only lower bounds
    /// are asserted: a slow machine may space the attempts further, never closer.
    /// </summary>
    [Fact]
    public async Task NoDaemonAnswering_ReconnectsAreSpacedByTheBackoff_DoublingFromATenthOfASecond()
    {
        const int Attempts = 6;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = new List<long>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A thread blocked in accept: each attempt is stamped as it arrives, not when a busy thread pool gets to it.
        var acceptor = new Thread(() =>
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = listener.Server.Accept();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                long at = Stopwatch.GetTimestamp();
                socket.Close(0);
                lock (accepted)
                {
                    accepted.Add(at);
                    if (accepted.Count == Attempts)
                    {
                        enough.TrySetResult();
                    }
                }
            }
        }) { IsBackground = true, Name = "backoff acceptor" };
        acceptor.Start();

        await using var bridge = StdioProcess.Start(new Dictionary<string, string> { ["EXAIFAST_LOG_LEVEL"] = "debug" }, "--url", $"ws://127.0.0.1:{port}/");
        await enough.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        listener.Stop();

        long[] at;
        lock (accepted)
        {
            at = [.. accepted.Take(Attempts)];
        }

        // The acceptor's wake-up may be late by a little under load, which shortens the gap behind it: 50 ms of slack.
        var slack = TimeSpan.FromMilliseconds(50);
        for (int k = 0; k + 1 < at.Length; k++)
        {
            var least = TimeSpan.FromSeconds(0.75 * Math.Min(0.1 * Math.Pow(2, k), 5)) - slack;
            var gap = Stopwatch.GetElapsedTime(at[k], at[k + 1]);
            Assert.True(gap >= least, $"attempt {k + 2} came {gap.TotalMilliseconds:0} ms after attempt {k + 1}; the backoff allows no less than {least.TotalMilliseconds:0} ms\n{bridge.Stderr}");
        }
    }

    private static async Task<double> CallsAsync(int port)
    {
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", TestContext.Current.CancellationToken);
        return metrics.Split('\n').Where(l => l.StartsWith("exaifast_calls_total{", StringComparison.Ordinal) && l.Contains("tool=\"chat\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
