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

    // McpRequest reads the stopwatch itself: a "too soon" report is only too soon if this thread was not descheduled
    // for 50 ms since the last one (a loaded CI machine can do that), so it is checked only when the clock agrees.
    private static void AssertHeldBack(McpRequest request, ProgressReport report, long since)
    {
        double? sent = Next(request, report);
        if (System.Diagnostics.Stopwatch.GetElapsedTime(since) < TimeSpan.FromMilliseconds(40))
        {
            Assert.Null(sent);
        }
    }

    [Fact]
    public void Heartbeats_AndMessages_Count_1_2_3_AndMessagesAreRateLimited()
    {
        var request = NewRequest();
        long at = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.Equal(1, Next(request, new ProgressReport("first")));
        AssertHeldBack(request, new ProgressReport("too soon"), at); // within 50 ms of the last one
        double beat = Assert.NotNull(Next(request, default)); // a heartbeat is never held back
        Assert.True(beat is 2 or 3, $"{beat}"); // 3 only if "too soon" was late enough to be sent
        Thread.Sleep(60);
        Assert.Equal(beat + 1, Next(request, new ProgressReport("later")));
    }

    [Fact]
    public void ToolNumbers_WithATotal_PassAtOnce_WhenTheyAdvanceOnePercent_AndTakeOverTheScale()
    {
        var request = NewRequest();
        Assert.Equal(0, Next(request, new ProgressReport(null, 0, 100)));
        long at = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.Equal(50, Next(request, new ProgressReport(null, 50, 100))); // no wait: 50% further
        AssertHeldBack(request, new ProgressReport(null, 50.5, 100), at); // half a percent, within 50 ms
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

    [Fact]
    public void ToolNumbers_WithoutATotal_AreRateLimited()
    {
        var request = NewRequest();
        long at = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.Equal(5, Next(request, new ProgressReport(null, 5)));
        AssertHeldBack(request, new ProgressReport(null, 500), at);
        Thread.Sleep(60);
        Assert.Equal(600, Next(request, new ProgressReport(null, 600)));
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
