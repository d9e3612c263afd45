using System.Globalization;
using System.Net.WebSockets;
using System.Runtime;
using System.Text;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>
/// Big messages at test scale on the real composition root: 4 MiB prompts under a small inbound budget (6 MiB, so one
/// big message at a time), a peer that stalls inside a big message, and memory given back after a burst. Alone in its
/// collection: the allocation counters and the monitor's "quiet" reading are process-wide.
/// </summary>
[Collection(nameof(BigMessageTests))]
public class BigMessageTests
{
    internal const int PromptBytes = 4 << 20;
    internal const int MiB = 1 << 20;

    internal static Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>
        {
            ["EXAI_WS_MAX_BYTES"] = (5 * MiB).ToString(CultureInfo.InvariantCulture),
            ["EXAIFAST_INBOUND_BUDGET_MB"] = "6",
            ["MCP_PROMPT_SIZE_LIMIT"] = "0", // the MCP tests' 4 MiB prompts must reach the tools: they test the path, not the limit
        };
        foreach (var (key, value) in extra)
        {
            env[key] = value;
        }

        return env;
    }

    [Fact]
    public async Task UnderASmallBudget_BigCallsWaitTheirTurn_SmallCallsElsewhereFlow_AndEveryCallIsAnswered()
    {
        await using var daemon = await Daemon.StartAsync(Settings());
        using var http = new HttpClient();

        // A holds 4 of the 6 MiB for as long as its call runs (until cancelled below).
        await using var a = await ExaiWsClient.ConnectAsync(daemon.Uri);
        byte[] callA = CallBytes("a", 'a', latencyMs: 600_000);
        await a.SendBytesAsync(callA);
        await a.OpAsync("call_tool_ack");
        Assert.Equal(callA.Length, await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight"));

        // B, C, D cannot fit: each waits with its message unread (their sends block on TCP back-pressure).
        var others = new ExaiWsClient[3];
        var sends = new Task[3];
        for (int i = 0; i < 3; i++)
        {
            others[i] = await ExaiWsClient.ConnectAsync(daemon.Uri);
            sends[i] = others[i].SendBytesAsync(CallBytes("b" + i, (char)('b' + i), latencyMs: 0));
        }

        await EventuallyAsync(async () => await MetricAsync(http, daemon, "exaifast_inbound_budget_waits_total") == 3);

        // Small calls on another connection are answered while the big ones wait.
        await using (var small = await ExaiWsClient.ConnectAsync(daemon.Uri))
        {
            for (int i = 0; i < 10; i++)
            {
                await small.CallAsync("s" + i, "chat", new JsonObject { ["prompt"] = "small " + i });
                Assert.True((bool)(await small.ResultAsync("s" + i))["ok"]!);
            }
        }

        Assert.Equal(callA.Length, await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight")); // still only A

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await a.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = "a" });
        Assert.Equal("CANCELLED", (string?)(await a.ResultAsync("a"))["error"]!["code"]);
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        for (int i = 0; i < 3; i++)
        {
            var res = await others[i].ResultAsync("b" + i, timeoutMs: 60_000);
            Assert.True((bool)res["ok"]!, res.ToJsonString());
            Assert.Contains(PromptChars.ToString(CultureInfo.InvariantCulture) + " characters", (string?)res["text"], StringComparison.Ordinal);
            await others[i].DisposeAsync();
        }

        // Bytes allocated by the whole process (daemon and clients) per big call, against its size: measured 1.5x — the
        // message's one exact array and JsonDocument's metadata (rented on a thread of its own, so allocated every time
        // rather than kept pooled). The prompt is read in place to the end: a UTF-16 string of it (2x) would break this
        // bound (13 MiB per 4 MiB call), and so would a receive and hash path that grew doubling buffers (a 6x rent).
        long perCall = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 3;
        Assert.True(perCall <= 5L * PromptBytes / 2, $"{perCall >> 20} MiB allocated per {PromptBytes >> 20} MiB call");

        await EventuallyAsync(async () => await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight") == 0);
        Assert.Equal(0, await MetricAsync(http, daemon, "exaifast_inbound_budget_refusals_total"));
    }

    [Fact]
    public async Task APeerThatStallsInsideABigMessage_GivesItsBudgetBack_WhenItsConnectionEnds()
    {
        await using var daemon = await Daemon.StartAsync(Settings());
        using var http = new HttpClient();
        await using var staller = await ExaiWsClient.ConnectAsync(daemon.Uri);

        // The first 2 MiB fragment of a message that never ends: its 2 MiB are held.
        await staller.SendBytesAsync(Encoding.UTF8.GetBytes("{\"op\":\"ping\",\"pad\":\"" + new string('x', 2 * MiB)), end: false);
        await EventuallyAsync(async () => await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight") >= 2 * MiB);

        staller.Vanish();
        await EventuallyAsync(async () => await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight") == 0);

        // The budget is whole again: a full-size call fits.
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await client.SendBytesAsync(CallBytes("after", 'z', latencyMs: 0));
        Assert.True((bool)(await client.ResultAsync("after", timeoutMs: 60_000))["ok"]!);
    }

    [Fact]
    public async Task APeerThatHoldsBudgetPastTheTimeout_IsClosed1008_WithAReason_AndTheBudgetComesBack()
    {
        await using var daemon = await Daemon.StartAsync(Settings(("EXAIFAST_INBOUND_BUDGET_TIMEOUT", "0.5")));
        using var http = new HttpClient();
        await using var staller = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await staller.SendBytesAsync(Encoding.UTF8.GetBytes("{\"op\":\"ping\",\"pad\":\"" + new string('x', 2 * MiB)), end: false);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await staller.ClosedAsync());
        Assert.Equal("message took too long to arrive", staller.CloseStatusDescription);
        Assert.Equal(1, await MetricAsync(http, daemon, "exaifast_inbound_budget_refusals_total", "reason=\"hold\""));
        await EventuallyAsync(async () => await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight") == 0);
    }

    [Fact]
    public async Task AMessageWaitingForBudgetPastTheTimeout_IsClosed1008_AndTheHolderIsServed()
    {
        await using var daemon = await Daemon.StartAsync(Settings(("EXAIFAST_INBOUND_BUDGET_TIMEOUT", "0.5")));
        using var http = new HttpClient();
        await using var holder = await ExaiWsClient.ConnectAsync(daemon.Uri);
        byte[] held = CallBytes("h", 'h', latencyMs: 600_000);
        await holder.SendBytesAsync(held);
        await holder.OpAsync("call_tool_ack"); // a running call holds its message's budget, whatever the timeout

        await using var waiter = await ExaiWsClient.ConnectAsync(daemon.Uri);
        _ = waiter.SendBytesAsync(CallBytes("w", 'w', latencyMs: 0)).ContinueWith(static t => t.Exception, TaskScheduler.Default);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await waiter.ClosedAsync());
        Assert.Equal("server busy: no memory budget for this message in time", waiter.CloseStatusDescription);
        Assert.Equal(1, await MetricAsync(http, daemon, "exaifast_inbound_budget_refusals_total", "reason=\"wait\""));
        Assert.Equal(held.Length, await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight"));

        await holder.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = "h" });
        Assert.Equal("CANCELLED", (string?)(await holder.ResultAsync("h"))["error"]!["code"]);
        await EventuallyAsync(async () => await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight") == 0);
    }

    [Fact]
    public async Task AfterABurst_TheQuietDaemonCompacts_AndGivesMemoryBack()
    {
        // Start from a compacted process, so the footprint the monitor starts from is this test's, not earlier tests'.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        await using var daemon = await Daemon.StartAsync(Settings(
            ("EXAIFAST_INBOUND_BUDGET_MB", "64"), ("EXAIFAST_MEMORY_CHECK_SECS", "0.05"), ("EXAIFAST_MEMORY_COMPACT_MB", "16")));
        using var http = new HttpClient();
        double compactionsBefore = await MetricAsync(http, daemon, "exaifast_memory_compactions_total");
        long committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;

        // A call in flight keeps the daemon busy, and a busy daemon never compacts: the footprint after the burst is
        // read before any compaction could run, whatever the machine's speed.
        await using var holder = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await holder.SendAsync(new JsonObject { ["op"] = "call_tool", ["request_id"] = "busy", ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "hold", ["local_latency_ms"] = 600_000 } });
        await holder.OpAsync("call_tool_ack");

        var clients = new ExaiWsClient[4];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = await ExaiWsClient.ConnectAsync(daemon.Uri);
        }

        await Task.WhenAll(clients.Select((c, i) => c.SendBytesAsync(CallBytes("c" + i, (char)('c' + i), latencyMs: 0))));
        for (int i = 0; i < clients.Length; i++)
        {
            Assert.True((bool)(await clients[i].ResultAsync("c" + i, timeoutMs: 60_000))["ok"]!);
            await clients[i].DisposeAsync();
        }

        // The GC reports committed memory as of its last collection, which may predate the burst: a gen0 one makes the
        // reading current without touching the large object heap, where the burst's buffers lie.
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        long committedAfterBurst = GC.GetGCMemoryInfo().TotalCommittedBytes;
        Assert.Equal(compactionsBefore, await MetricAsync(http, daemon, "exaifast_memory_compactions_total"));
        await holder.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = "busy" });
        Assert.Equal("CANCELLED", (string?)(await holder.ResultAsync("busy"))["error"]!["code"]);

        // Polled slowly: a scrape allocates, and the monitor waits for a quiet process (under 2 MiB/s).
        await EventuallyAsync(async () => await MetricAsync(http, daemon, "exaifast_memory_compactions_total") > compactionsBefore, timeoutMs: 60_000, pollMs: 250);

        // Given back by the daemon's compaction: the GC's committed memory (as of the last collection, the compaction's
        // own unless one followed) went down, read before this test's own full collection could give any back. Not to
        // the live heap: this process is shared with the other tests, whose memory the GC may keep. Then the heap
        // reading is the live size, not the garbage.
        long committedAfter = GC.GetGCMemoryInfo().TotalCommittedBytes;
        long live = GC.GetTotalMemory(forceFullCollection: true);
        string numbers = $"committed {committedBefore >> 20} MiB before the burst, {committedAfterBurst >> 20} MiB after it, {committedAfter >> 20} MiB after the compaction (live {live >> 20} MiB)";
        Assert.True(committedAfter <= committedAfterBurst - (8 * MiB), "nothing given back: " + numbers);
        Assert.True(await MetricAsync(http, daemon, "exaifast_memory_heap_bytes") <= 2.0 * live + 16 * MiB,
            $"heap reading {await MetricAsync(http, daemon, "exaifast_memory_heap_bytes") / MiB:F0} MiB vs live {live >> 20} MiB");
    }

    // The prompt's length in characters (ASCII): the JSON message is this plus a short envelope, under 5 MiB.
    internal const int PromptChars = PromptBytes - 256;

    internal static byte[] CallBytes(string requestId, char fill, int latencyMs) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["op"] = "call_tool",
            ["request_id"] = requestId,
            ["name"] = "chat",
            ["arguments"] = new JsonObject { ["prompt"] = new string(fill, PromptChars), ["local_latency_ms"] = latencyMs },
        }.ToJsonString());

    internal static async Task<double> MetricAsync(HttpClient http, Daemon daemon, string name, string? label = null)
    {
        string text = await http.GetStringAsync(new Uri(daemon.HttpUri, "metrics"), TestContext.Current.CancellationToken);
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && (line.Length > name.Length && line[name.Length] is ' ' or '{')
                && (label is null || line.Contains(label, StringComparison.Ordinal)))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    internal static async Task EventuallyAsync(Func<Task<bool>> condition, int timeoutMs = 30_000, int pollMs = 20)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(pollMs, TestContext.Current.CancellationToken);
        }
    }
}

[CollectionDefinition(nameof(BigMessageTests), DisableParallelization = true)]
public sealed class BigMessageTestsCollection;
