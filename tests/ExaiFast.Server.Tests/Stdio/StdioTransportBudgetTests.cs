using System.IO.Pipelines;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Stdio;
using ExaiFast.Server.Tests.Mcp;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExaiFast.Server.Tests.Stdio;

/// <summary>
/// Big lines on stdio: a line over 1 MiB takes inbound budget before more of it is read — waiting, with stdin unread,
/// while the budget is held — and keeps it for as long as its call runs; a line that is not a call, or is refused, gives
/// it back once handled; a line that gets no budget in time is refused and the lines behind it are read. 4 MiB lines
/// under a 6 MiB budget, through a pipe whose writer blocks when the transport stops reading.
/// </summary>
public class StdioTransportBudgetTests
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task ABigLine_TakesBudget_AndItsCallKeepsIt_UntilACancelEndsIt()
    {
        await using var rig = new Rig();

        await rig.WriteAsync(BigCall("1", 'a', hold: true));
        await Eventually(() => rig.Tool.Started == 1);
        Assert.InRange(rig.Budget.Used, 4 * MiB, 6 * MiB); // its array, of exactly its reservation
        Assert.Equal(rig.Budget.Used, rig.Metrics.InboundBytesInFlight.Value);

        await rig.WriteAsync("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"1"}}""");
        await Eventually(() => rig.Budget.Used == 0 && rig.Dispatcher.Inflight == 0);

        await rig.WriteAsync("""{"jsonrpc":"2.0","id":"p","method":"ping"}""");
        await rig.Reply.ResponseAsync("\"p\"");
        Assert.DoesNotContain(rig.Reply.Messages, m => (string?)m["id"] == "1"); // cancelled: no response
    }

    [Fact]
    public async Task ABigLineThatDoesNotFit_WaitsWithStdinUnread_ThenIsServedWhenTheBudgetComesBack()
    {
        await using var rig = new Rig();
        await rig.WriteAsync(BigCall("1", 'a', hold: true));
        await Eventually(() => rig.Tool.Started == 1);

        var second = rig.WriteAsync(BigCall("2", 'b', hold: false) + "\n" + """{"jsonrpc":"2.0","id":"p","method":"ping"}""");
        await Eventually(() => rig.Metrics.InboundBudgetWaits.Value == 1);
        Assert.False(second.IsCompleted, "the writer was not held back while the line waited");

        // The first call ends (its deadline, say): its budget comes back, and the waiting line is read and served.
        Assert.True(rig.Session.TryGetById("\"1\"", out var first));
        rig.Dispatcher.Cancel(first.Key);
        await second.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(((4 * MiB) - 256).ToString(System.Globalization.CultureInfo.InvariantCulture), Text(await rig.Reply.ResponseAsync("\"2\"")));
        await rig.Reply.ResponseAsync("\"p\"");
        await Eventually(() => rig.Budget.Used == 0 && rig.Dispatcher.Inflight == 0);
    }

    [Fact]
    public async Task ABigLineThatGetsNoBudgetInTime_IsRefused_AndTheLinesBehindItAreRead()
    {
        await using var rig = new Rig(budgetWait: TimeSpan.FromMilliseconds(200));
        await rig.WriteAsync(BigCall("1", 'a', hold: true));
        await Eventually(() => rig.Tool.Started == 1);

        // Behind the line that cannot fit: the cancel that would free the budget. Waiting for ever would never read it.
        await rig.WriteAsync(BigCall("2", 'b', hold: false) + "\n"
            + """{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"1"}}""" + "\n"
            + """{"jsonrpc":"2.0","id":"p","method":"ping"}""");

        var refused = await rig.Reply.ResponseAsync("null");
        Assert.Contains("no memory budget", (string?)refused["error"]!["message"], StringComparison.Ordinal);
        await rig.Reply.ResponseAsync("\"p\"");
        await Eventually(() => rig.Budget.Used == 0 && rig.Dispatcher.Inflight == 0);
        Assert.Equal(1, rig.Tool.Started);
    }

    [Fact]
    public async Task BigLinesThatAreNotCalls_OrAreRefused_GiveTheirBudgetBackOnceHandled()
    {
        await using var rig = new Rig();
        string pad = new('x', 3 * MiB);

        await rig.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":\"ping\",\"method\":\"ping\",\"params\":{\"pad\":\"" + pad + "\"}}\r"); // CRLF
        await rig.Reply.ResponseAsync("\"ping\"");
        await Eventually(() => rig.Budget.Used == 0);

        await rig.WriteAsync("""{"jsonrpc":"2.0","id":"bad" """ + pad); // not JSON
        Assert.Equal(-32700, (int)(await rig.Reply.ResponseAsync("null"))["error"]!["code"]!);
        await Eventually(() => rig.Budget.Used == 0);

        await rig.WriteAsync(BigCall("unknown", 'u', hold: false).Replace("\"hold\"", "\"nope\"", StringComparison.Ordinal));
        Assert.Contains("Unknown tool", (string?)(await rig.Reply.ResponseAsync("\"unknown\""))["error"]!["message"], StringComparison.Ordinal);
        await Eventually(() => rig.Budget.Used == 0);

        await rig.WriteAsync(new string('y', 6 * MiB)); // over the 5 MiB limit: refused as it grows, skipped to its end
        await rig.Reply.WaitForAsync(m => ((string?)m["error"]?["message"])?.Contains("longer than", StringComparison.Ordinal) == true, "the refusal of the overlong line");
        await Eventually(() => rig.Budget.Used == 0);

        await rig.WriteAsync("""{"jsonrpc":"2.0","id":"after","method":"ping"}""");
        await rig.Reply.ResponseAsync("\"after\"");
        Assert.Equal(0, rig.Budget.Used);
    }

    [Fact]
    public async Task ABigLastLine_WithoutItsNewline_IsServedAtEndOfInput()
    {
        await using var rig = new Rig();

        await rig.WriteAsync(BigCall("last", 'l', hold: false), newline: false);
        await rig.EndInputAsync();

        Assert.Equal(((4 * MiB) - 256).ToString(System.Globalization.CultureInfo.InvariantCulture), Text(await rig.Reply.ResponseAsync("\"last\"")));
        await Eventually(() => rig.Budget.Used == 0 && rig.Dispatcher.Inflight == 0);
    }

    [Fact]
    public async Task StoppingWhileABigLineWaits_GivesBackWhatItHeld()
    {
        await using var rig = new Rig();
        await rig.WriteAsync(BigCall("1", 'a', hold: true));
        await Eventually(() => rig.Tool.Started == 1);
        long held = rig.Budget.Used;

        _ = rig.WriteAsync(BigCall("2", 'b', hold: false));
        await Eventually(() => rig.Metrics.InboundBudgetWaits.Value == 1);
        await rig.StopAsync();
        Assert.Equal(held, rig.Budget.Used);

        rig.Protocol.EndSession(rig.Session); // what the host does once reading has ended
        await Eventually(() => rig.Budget.Used == 0 && rig.Dispatcher.Inflight == 0);
    }

    // A call of the hold tool whose line is 4 MiB or more; its prompt is 4 MiB - 256 characters.
    private static string BigCall(string id, char fill, bool hold) =>
        "{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"method\":\"tools/call\",\"params\":{\"name\":\"hold\",\"arguments\":{"
        + (hold ? "\"hold\":true," : "") + "\"prompt\":\"" + new string(fill, (4 * MiB) - 256) + "\"}}}";

    private static string? Text(JsonObject response) => (string?)response["result"]?["content"]?[0]?["text"];

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The transport over a pipe (its writer blocks past 64 KiB unread, as a real stdin's does), in front of a
    /// dispatcher with the hold tool, under a 6 MiB budget with lines up to 5 MiB.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly Pipe _stdin = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _reading;

        public Rig(TimeSpan? budgetWait = null)
        {
            Dispatcher = new Dispatcher(new DispatcherOptions { LaneSlots = new Dictionary<string, int> { ["local"] = 4 } });
            Protocol = new McpProtocol(new DispatcherBackend(Dispatcher, new TestCatalog(Tool)), NullLogger.Instance);
            Budget = new InboundBudget(6 * MiB, Metrics);
            var transport = new StdioTransport(Protocol, Session, Reply, 5 * MiB, Budget, budgetWait ?? TimeSpan.FromMinutes(5));
            _reading = Task.Run(() => transport.RunAsync(_stdin.Reader.AsStream(), _stop.Token));
        }

        public HoldTool Tool { get; } = new();

        public Dispatcher Dispatcher { get; }

        public McpProtocol Protocol { get; }

        public McpSession Session { get; } = new("stdio:test", "stdio");

        public CollectingReply Reply { get; } = new();

        public ServerMetrics Metrics { get; } = new();

        public InboundBudget Budget { get; }

        /// <summary>Writes a line; completes once the transport has read all but the pipe's 64 KiB of it.</summary>
        public async Task WriteAsync(string line, bool newline = true)
        {
            await _stdin.Writer.WriteAsync(Encoding.UTF8.GetBytes(newline ? line + "\n" : line), TestContext.Current.CancellationToken);
        }

        public async Task EndInputAsync()
        {
            await _stdin.Writer.CompleteAsync();
            await _reading.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _reading.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _stdin.Writer.CompleteAsync();
            await ((Task)_reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Protocol.EndSession(Session);
            await Dispatcher.DisposeAsync();
            _stop.Dispose();
        }
    }
}
