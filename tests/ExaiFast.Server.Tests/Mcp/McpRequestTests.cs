using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>The <c>progress</c> values of one MCP request: increasing, rate-limited, and the tool's own once it gives them.</summary>
public class McpRequestTests
{
    private static McpRequest NewRequest() => new(new McpSession("session", "test"), "1", "\"token\"", new CallKey("session", "1:1"), 1, new NoReply());

    private static double? Next(McpRequest request, ProgressReport report) => request.TryNextProgress(report, out double p) ? p : null;

    // McpRequest reads the stopwatch itself, so no report can be shown "too soon" on a machine that may deschedule this
    // thread for 50 ms. What holds however the thread is scheduled: n passed reports need at least (n - 1) × 50 ms between
    // the first and the last, all inside the span measured around them.
    private static void AssertAtMostOncePer50Ms(McpRequest request, Func<int, ProgressReport> report)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int offered = 0;
        int passed = 0;
        while (clock.Elapsed < TimeSpan.FromMilliseconds(200))
        {
            passed += Next(request, report(offered++)) is null ? 0 : 1;
        }

        long allowed = 1 + (clock.ElapsedMilliseconds / 50);
        Assert.True(passed <= allowed, $"{passed} of {offered} reports passed in {clock.ElapsedMilliseconds} ms; at most {allowed} may");
        Assert.True(passed >= 1, "not even the first report passed");
    }

    [Fact]
    public void Heartbeats_AndMessages_Count_1_2_3()
    {
        var request = NewRequest();
        Assert.Equal(1, Next(request, new ProgressReport("first")));
        Assert.Equal(2, Next(request, default)); // a heartbeat is never held back, however soon it comes
        Thread.Sleep(60);
        Assert.Equal(3, Next(request, new ProgressReport("later")));
    }

    [Fact]
    public void Messages_PassAtMostOncePer50Ms_HoweverFastTheyCome() =>
        AssertAtMostOncePer50Ms(NewRequest(), i => new ProgressReport($"message {i}"));

    [Fact]
    public void ToolNumbers_AdvancingUnderOnePercent_PassAtMostOncePer50Ms()
    {
        var request = NewRequest();
        Assert.Equal(0, Next(request, new ProgressReport(null, 0, 100)));
        AssertAtMostOncePer50Ms(request, i => new ProgressReport(null, 50 + ((i + 1) * 1e-9), 100)); // 50% first, then slivers
    }

    [Fact]
    public void ToolNumbers_WithoutATotal_PassAtMostOncePer50Ms()
    {
        var request = NewRequest();
        Assert.Equal(5, Next(request, new ProgressReport(null, 5)));
        Thread.Sleep(60);
        AssertAtMostOncePer50Ms(request, i => new ProgressReport(null, 6 + i));
    }

    [Fact]
    public void ToolNumbers_WithATotal_PassAtOnce_WhenTheyAdvanceOnePercent_AndTakeOverTheScale()
    {
        var request = NewRequest();
        Assert.Equal(0, Next(request, new ProgressReport(null, 0, 100)));
        Assert.Equal(50, Next(request, new ProgressReport(null, 50, 100))); // no wait: 50% further
        Assert.Equal(100, Next(request, new ProgressReport("done", 100, 100)));
        Assert.Null(Next(request, default)); // only the tool knows its next value: no heartbeat 101
        Assert.Null(Next(request, new ProgressReport("a message alone")));
    }

    [Fact]
    public void ToolNumbers_ThatDoNotIncrease_AreDropped()
    {
        var request = NewRequest();
        Assert.Equal(1, Next(request, default)); // a heartbeat came first
        Assert.Null(Next(request, new ProgressReport(null, 0, 100))); // 0 after 1 would go backwards
        Assert.Null(Next(request, new ProgressReport(null, 1, 100))); // equal is not increasing
        Assert.Equal(50, Next(request, new ProgressReport(null, 50, 100)));
        Assert.Null(Next(request, new ProgressReport(null, 40, 100)));
    }

    private sealed class NoReply : IMcpReply
    {
        public void Respond(PooledBuffer response) => response.Return();

        public bool TryNotify(PooledBuffer notification)
        {
            notification.Return();
            return true;
        }
    }
}
