using System.Text.Json;

namespace ExaiFast.Load.Tests;

/// <summary>
/// Every scenario of scripts/bench.sh, briefly, against the real servers: it runs, it measures, it reports. Never a
/// speed: the machine is shared, and these only prove the generator and the baselines still work.
/// </summary>
public class ScenarioSmokeTests(Contenders contenders) : IClassFixture<Contenders>
{
    private static LoadOptions Options(string mode, string target, ServerProcess server, int connections = 2) => new()
    {
        Mode = mode,
        Target = target,
        Connections = connections,
        Duration = TimeSpan.FromSeconds(0.4),
        Warmup = TimeSpan.FromSeconds(0.1),
        Probe = TimeSpan.FromSeconds(0.3),
        Drain = TimeSpan.FromSeconds(30), // returns as soon as the last answer is in; long only on a very slow machine
        Label = $"smoke {mode}",
        ServerPid = server.Pid,
    };

    private ServerProcess Server(string name) => name switch
    {
        "exaifast" => contenders.ExaiFast,
        "kestrel-exai" => contenders.KestrelExai,
        "kestrel-echo" => contenders.KestrelEcho,
        "mcp-sdk" => contenders.McpSdk,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("ws", "exaifast", "ws://127.0.0.1:{0}/echo")]
    [InlineData("ws", "kestrel-echo", "ws://127.0.0.1:{0}/")]
    [InlineData("ping", "exaifast", "ws://127.0.0.1:{0}/")]
    [InlineData("ping", "kestrel-exai", "ws://127.0.0.1:{0}/")]
    [InlineData("call", "exaifast", "ws://127.0.0.1:{0}/")]
    [InlineData("call", "kestrel-exai", "ws://127.0.0.1:{0}/")]
    [InlineData("mcp", "exaifast", "ws://127.0.0.1:{0}/")]
    [InlineData("mcp", "kestrel-exai", "ws://127.0.0.1:{0}/")]
    [InlineData("mcp-http", "exaifast", "http://127.0.0.1:{0}/mcp")]
    [InlineData("mcp-http", "mcp-sdk", "http://127.0.0.1:{0}/")]
    public async Task ClosedLoop_RunsAndReports(string mode, string server, string target)
    {
        var s = Server(server);
        var result = await LoadApp.RunAsync(Options(mode, string.Format(System.Globalization.CultureInfo.InvariantCulture, target, s.Port), s), TestContext.Current.CancellationToken);
        AssertReported(result);
    }

    [Fact]
    public async Task RawTcpEcho_RunsAndReports()
    {
        var options = Options("tcp", $"127.0.0.1:{contenders.TcpEchoPort}", contenders.ExaiFast) with { ServerPid = Environment.ProcessId };
        AssertReported(await LoadApp.RunAsync(options, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("call", "exaifast")]
    [InlineData("call", "kestrel-exai")]
    [InlineData("ws", "exaifast")]
    [InlineData("mcp-http", "exaifast")]
    public async Task OpenLoop_AtAGentleRate_AnswersEveryCall(string mode, string server)
    {
        var s = Server(server);
        string target = mode switch
        {
            "ws" => $"ws://127.0.0.1:{s.Port}/echo",
            "mcp-http" => $"http://127.0.0.1:{s.Port}/mcp",
            _ => $"ws://127.0.0.1:{s.Port}/",
        };
        var result = await LoadApp.RunAsync(Options(mode, target, s) with { Rate = RateSpec.Parse("100") }, TestContext.Current.CancellationToken);
        AssertReported(result);
        Assert.Equal(40, result.Accepted.Count + result.Refused.Count); // 100/s over the 0.4 s measured: every one sent and answered
        Assert.Equal(0, result.Dropped);
        Assert.Equal(0, result.Lost);
        Assert.NotNull(result.SendLag);
        Assert.Equal(result.Accepted.Count, result.SendLag!.Count);
    }

    [Theory]
    [InlineData("exaifast")]
    [InlineData("kestrel-exai")]
    public async Task Overload_ProbesCapacity_AndReportsAcceptedAndRefusedApart(string server)
    {
        var s = Server(server);
        var options = Options("call", $"ws://127.0.0.1:{s.Port}/", s, connections: 4) with { Rate = RateSpec.Parse("10x"), ToolLatencyMs = 10, MaxOutstanding = 50 };
        var result = await LoadApp.RunAsync(options, TestContext.Current.CancellationToken);
        Assert.True(result.ProbedCapacity > 0);

        // What the generator really offered: every request of the measured 0.4 s went out (or was dropped at the
        // outstanding cap) and is counted once, answered or not. Accepted and refused answers are in rows of their own.
        long offered = (long)Math.Ceiling(result.OfferedRate!.Value * 0.5) - (long)Math.Ceiling(result.OfferedRate.Value * 0.1);
        Assert.Equal(offered, result.Accepted.Count + result.Refused.Count + result.Failed + result.Dropped + result.Lost);
        Assert.True(result.Accepted.Count + result.Refused.Count > 0, result.ToMarkdown());
        Assert.Equal(result.Refused.Count > 0, result.ToMarkdown().Contains("(refused)", StringComparison.Ordinal));
        Assert.Equal(0, result.Failed);
        Assert.Contains("open loop: offered", result.ToMarkdown(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_OpensEveryConnection_AndReadsTheServersMemory()
    {
        var s = contenders.ExaiFast;
        var options = Options("idle", $"ws://127.0.0.1:{s.Port}/", s, connections: 20) with { Duration = TimeSpan.FromSeconds(0.2) };
        var result = await LoadApp.RunAsync(options, TestContext.Current.CancellationToken);
        Assert.Equal(20, result.Accepted.Count);
        Assert.NotNull(result.ServerRssBeforeKiB);
        Assert.NotNull(result.ServerRssAfterKiB);
        Assert.NotNull(result.RssKiBPerConnection);
        Assert.Contains("KiB/connection", result.ToMarkdown(), StringComparison.Ordinal);
    }

    private static void AssertReported(RunResult result)
    {
        Assert.True(result.Accepted.Count > 0, result.ToMarkdown());
        Assert.Equal(0, result.Failed);
        Assert.True(result.Accepted.Micros(50) > 0);
        Assert.True(result.Accepted.MaxMicros >= result.Accepted.Micros(99.9));
        Assert.NotNull(result.ServerCpu);
        Assert.StartsWith($"| {result.Label} |", result.ToMarkdown(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.ToJson());
        Assert.True(json.RootElement.GetProperty("ok").GetInt64() > 0);
    }
}
