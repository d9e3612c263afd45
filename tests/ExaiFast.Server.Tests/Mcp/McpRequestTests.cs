using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>The <c>progress</c> values of one MCP request: increasing, rate-limited, and the tool's own once it gives them.</summary>
public class McpRequestTests
{
    private static McpRequest NewRequest() => new("1", "\"token\"", new CallKey("session", "1:1"), 1, new NoReply());

    private static double? Next(McpRequest request, ProgressReport report) => request.TryNextProgress(report, out double p) ? p : null;

    [Fact]
    public void Heartbeats_AndMessages_Count_1_2_3_AndMessagesAreRateLimited()
    {
        var request = NewRequest();
        Assert.Equal(1, Next(request, new ProgressReport("first")));
        Assert.Null(Next(request, new ProgressReport("too soon"))); // within 50 ms of the last one
        Assert.Equal(2, Next(request, default)); // a heartbeat is never held back
        Thread.Sleep(60);
        Assert.Equal(3, Next(request, new ProgressReport("later")));
    }

    [Fact]
    public void ToolNumbers_WithATotal_PassAtOnce_WhenTheyAdvanceOnePercent_AndTakeOverTheScale()
    {
        var request = NewRequest();
        Assert.Equal(0, Next(request, new ProgressReport(null, 0, 100)));
        Assert.Equal(50, Next(request, new ProgressReport(null, 50, 100))); // no wait: 50% further
        Assert.Null(Next(request, new ProgressReport(null, 50.5, 100))); // half a percent, within 50 ms
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
        Assert.Equal(5, Next(request, new ProgressReport(null, 5)));
        Assert.Null(Next(request, new ProgressReport(null, 500)));
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
