using ExaiFast.Core.Tools;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>A cancel racing progress reports: nothing about a request may be queued after its cancel.</summary>
public class McpSessionRaceTests
{
    [Fact]
    public async Task ProgressRacingACancel_IsQueuedBeforeIt_OrNotAtAll()
    {
        var deadline = DateTime.UtcNow.AddSeconds(3);
        int rounds = 0;
        while (DateTime.UtcNow < deadline || rounds < 200)
        {
            rounds++;
            var session = new McpSession("mcp:race", "test");
            var reply = new OrderReply();
            Assert.True(session.TryBegin("1", "\"t\"", reply, McpDialect.Legacy(null), out var request));
            using var stop = new CancellationTokenSource();
            var reporter = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    session.Progress(request, new ProgressReport(null)); // heartbeats: always due
                }
            }, TestContext.Current.CancellationToken);

            await Task.Yield();
            Assert.True(session.TryCancel(request));
            await Task.Delay(1, TestContext.Current.CancellationToken);
            await stop.CancelAsync();
            await reporter;

            var events = reply.Events;
            int cancelledAt = events.IndexOf("cancelled");
            Assert.True(cancelledAt >= 0);
            Assert.DoesNotContain("progress", events.Skip(cancelledAt));
            Assert.DoesNotContain("response", events);
        }
    }

    private sealed class OrderReply : IMcpReply
    {
        private readonly List<string> _events = [];

        public List<string> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public void Respond(PooledBuffer response) => Add("response", response);

        public bool TryNotify(PooledBuffer notification)
        {
            Add("progress", notification);
            return true;
        }

        public void Cancelled() => Add("cancelled", default);

        private void Add(string what, PooledBuffer buffer)
        {
            buffer.Return();
            lock (_events)
            {
                _events.Add(what);
            }
        }
    }
}
