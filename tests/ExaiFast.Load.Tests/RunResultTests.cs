using System.Diagnostics;
using System.Text.Json;

namespace ExaiFast.Load.Tests;

public class RunResultTests
{
    private static RunResult Result(int refused)
    {
        var accepted = new Latencies();
        var no = new Latencies();
        for (int i = 0; i < 100; i++)
        {
            accepted.Record(Stopwatch.Frequency / 10_000); // 100 µs
        }

        for (int i = 0; i < refused; i++)
        {
            no.Record(Stopwatch.Frequency / 100_000); // 10 µs
        }

        return new RunResult
        {
            Label = "smoke", Mode = "call", Connections = 2, Size = 32, Elapsed = TimeSpan.FromSeconds(2),
            Accepted = accepted, Refused = no, AnsweredPerSecond = 50, OfferedRate = 100, Dropped = 1, Lost = 2,
            ServerCpu = TimeSpan.FromMilliseconds(5), GeneratorCpu = TimeSpan.FromMilliseconds(10),
        };
    }

    [Fact]
    public void Markdown_KeepsTheColumnsScriptsRead_AndAddsARowForRefusals()
    {
        string[] rows = Result(refused: 0).ToMarkdown().Split('\n');
        Assert.Single(rows);
        // scripts/load.sh reads calls/s as the 5th '|' field; ExaiFast.Tests' smoke test matches the first four.
        Assert.StartsWith("| smoke | 2 | 32 | 50 | 100 |", rows[0], StringComparison.Ordinal);
        Assert.Contains("50.0 | 100.0 |", rows[0], StringComparison.Ordinal); // server and generator µs per call
        Assert.Contains("dropped 1, lost 2", rows[0], StringComparison.Ordinal);

        rows = Result(refused: 10).ToMarkdown().Split('\n');
        Assert.Equal(2, rows.Length);
        Assert.StartsWith("| smoke (refused) | 2 | 32 | 5 | 10 |", rows[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Json_HasEveryNumber()
    {
        using var document = JsonDocument.Parse(Result(refused: 10).ToJson());
        var root = document.RootElement;
        Assert.Equal(100, root.GetProperty("ok").GetInt64());
        Assert.Equal(10, root.GetProperty("refused").GetInt64());
        Assert.Equal(50, root.GetProperty("calls_per_s").GetDouble());
        Assert.Equal(100, root.GetProperty("latency_us").GetProperty("p99").GetDouble(), 0.1);
        Assert.Equal(10, root.GetProperty("refused_latency_us").GetProperty("p99_9").GetDouble(), 0.1);
        Assert.Equal(5000.0 / 110, root.GetProperty("server_cpu_us_per_call").GetDouble(), 0.01);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("rss_kib_per_connection").ValueKind);
    }

    [Fact]
    public void Idle_ReportsRssGrowthPerConnection()
    {
        var result = Result(refused: 0) with { Mode = "idle", ServerRssBeforeKiB = 1000, ServerRssAfterKiB = 1010 };
        Assert.Equal(5, result.RssKiBPerConnection);
        Assert.Contains("5.00 KiB/connection", result.ToMarkdown(), StringComparison.Ordinal);
    }
}
