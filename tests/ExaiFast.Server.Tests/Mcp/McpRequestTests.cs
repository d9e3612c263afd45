using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.Time.Testing;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>The <c>progress</c> values of one MCP request: increasing, rate-limited, and the tool's own once it gives them.</summary>
public class McpRequestTests
{
    private static McpRequest NewRequest(TimeProvider? time = null) =>
        new(new McpSession("mcp:session", "test"), "1", "\"token\"", new CallKey("mcp:session", "1:1"), 1, new NoReply(), time);

    private static double? Next(McpRequest request, ProgressReport report) => request.TryNextProgress(report, out double p) ? p : null;

    // On a clock of the test's own, so the 50 ms is checked exactly, whatever the machine does to this thread: reports
    // at the same instant after one that passed are held back, one a tick before 50 ms is too, one at 50 ms passes.
    private static void AssertOncePer50Ms(McpRequest request, FakeTimeProvider clock, Func<int, ProgressReport> report)
    {
        int offered = 0;
        Assert.NotNull(Next(request, report(offered++)));
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 100; i++)
            {
                Assert.Null(Next(request, report(offered++)));
            }

            clock.Advance(TimeSpan.FromMilliseconds(50) - TimeSpan.FromTicks(1));
            Assert.Null(Next(request, report(offered++)));
            clock.Advance(TimeSpan.FromTicks(1));
            Assert.NotNull(Next(request, report(offered++)));
        }
    }

    [Fact]
    public void Heartbeats_AndMessages_Count_1_2_3()
    {
        var clock = new FakeTimeProvider();
        var request = NewRequest(clock);
        Assert.Equal(1, Next(request, new ProgressReport("first")));
        Assert.Equal(2, Next(request, default)); // a heartbeat is never held back, however soon it comes
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(3, Next(request, new ProgressReport("later")));
    }

    [Fact]
    public void Messages_PassOncePer50Ms_HoweverFastTheyCome()
    {
        var clock = new FakeTimeProvider();
        AssertOncePer50Ms(NewRequest(clock), clock, i => new ProgressReport($"message {i}"));
    }

    [Fact]
    public void ToolNumbers_AdvancingUnderOnePercent_PassOncePer50Ms()
    {
        var clock = new FakeTimeProvider();
        var request = NewRequest(clock);
        Assert.Equal(0, Next(request, new ProgressReport(null, 0, 100)));
        clock.Advance(TimeSpan.FromMilliseconds(50));
        AssertOncePer50Ms(request, clock, i => new ProgressReport(null, 50 + ((i + 1) * 1e-9), 100)); // 50% first, then slivers
    }

    [Fact]
    public void ToolNumbers_WithoutATotal_PassOncePer50Ms()
    {
        var clock = new FakeTimeProvider();
        var request = NewRequest(clock);
        Assert.Equal(5, Next(request, new ProgressReport(null, 5)));
        clock.Advance(TimeSpan.FromMilliseconds(50));
        AssertOncePer50Ms(request, clock, i => new ProgressReport(null, 6 + i));
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
