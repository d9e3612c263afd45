using System.Text;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>PROTOCOL.md's exai-ws section over real sockets, against the real composition root and offline model.</summary>
public class ExaiWsProtocolTests
{
    [Fact]
    public async Task Hello_NamesTheSession_AndAnnouncesLimits()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false);

        await client.SendAsync(new JsonObject { ["op"] = "hello", ["session_id"] = "my-shim_01" });
        var ack = await client.NextAsync();

        Assert.Equal("my-shim_01", (string?)ack["session_id"]);
        Assert.Equal("exaifast", (string?)ack["server"]!["name"]);
        Assert.Equal(33554432, (long)ack["limits"]!["max_bytes"]!);
        Assert.Equal(8, (int)ack["limits"]!["session_max_inflight"]!);
    }

    [Fact]
    public async Task Hello_WithAnInvalidSessionId_GetsOneMadeUp()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: "x!"); // too short, bad char
        Assert.Matches("^[0-9a-f]{32}$", client.SessionId);
    }

    [Theory]
    [InlineData("not json", "invalid_hello", 4000)]
    [InlineData("""{"op":"list_tools"}""", "missing_hello", 4001)]
    [InlineData("""["hello"]""", "missing_hello", 4001)]
    [InlineData("""{"op":"hello","token":"wrong"}""", "unauthorized", 4003)]
    [InlineData("""{"op":"hello"}""", "unauthorized", 4003)]
    public async Task BadHello_GetsItsError_AndItsCloseCode(string first, string error, int closeCode)
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "right-token" });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false);

        await client.SendRawAsync(first);
        var ack = await client.NextAsync();

        Assert.Equal("hello_ack", (string?)ack["op"]);
        Assert.False((bool)ack["ok"]!);
        Assert.Equal(error, (string?)ack["error"]);
        Assert.Equal((WebSocketCloseStatus)closeCode, await client.ClosedAsync());
        Assert.DoesNotContain("right-token", ack.ToJsonString());
    }

    [Fact]
    public async Task RightToken_IsAccepted_AndRotateToken_AppliesToLaterHellos()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "first" });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, token: "first");

        await client.SendAsync(new JsonObject { ["op"] = "rotate_token", ["old"] = "wrong", ["new"] = "second" });
        var refused = await client.OpAsync("rotate_token_res");
        Assert.False((bool)refused["ok"]!);
        await client.SendAsync(new JsonObject { ["op"] = "rotate_token", ["old"] = "first", ["new"] = "second" });
        Assert.True((bool)(await client.OpAsync("rotate_token_res"))["ok"]!);

        await using var withNew = await ExaiWsClient.ConnectAsync(daemon.Uri, token: "second");
        await using var withOld = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false);
        await withOld.SendAsync(new JsonObject { ["op"] = "hello", ["token"] = "first" });
        Assert.Equal("unauthorized", (string?)(await withOld.NextAsync())["error"]);
    }

    [Fact]
    public async Task NoHelloInTime_Closes4002()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_HELLO_TIMEOUT"] = "0.3" });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false);
        Assert.Equal((WebSocketCloseStatus)4002, await client.ClosedAsync());
    }

    [Fact]
    public async Task ListTools_IsDeterministic_WithSchemas()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await client.SendAsync(new JsonObject { ["op"] = "list_tools", ["request_id"] = "l1" });
        var res = await client.OpAsync("list_tools_res");

        Assert.Equal("l1", (string?)res["request_id"]);
        var names = res["tools"]!.AsArray().Select(t => (string)t!["name"]!).ToArray();
        Assert.Equal(ExpectedTools.Names, names);
        var chat = res["tools"]!.AsArray().Single(t => (string?)t!["name"] == "chat")!;
        Assert.Equal("object", (string?)chat["inputSchema"]!["type"]);
        Assert.Equal("prompt", (string?)chat["inputSchema"]!["required"]![0]);
        Assert.Equal("boolean", (string?)chat["inputSchema"]!["properties"]!["stream"]!["type"]); // exai-ws's own: stream_chunk frames
        Assert.NotNull(chat["inputSchema"]!["properties"]!["local_latency_ms"]);
    }

    [Fact]
    public async Task Chat_AckThenResult_WithOutputsAndMetrics_SuffixStripped_IdAlias()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await client.SendAsync(new JsonObject { ["op"] = "call_tool", ["id"] = "c1", ["name"] = "chat_EXAI-WS", ["arguments"] = new JsonObject { ["prompt"] = "hi there" } });
        var ack = await client.NextAsync();
        var res = await client.ResultAsync("c1");

        Assert.Equal("call_tool_ack", (string?)ack["op"]);
        Assert.Equal("c1", (string?)ack["request_id"]);
        Assert.Equal("chat", (string?)ack["name"]);
        Assert.Equal(180, (double)ack["timeout"]!);
        Assert.True((bool)res["ok"]!);
        Assert.StartsWith("[offline local model", (string?)res["text"]);
        Assert.Contains("hi there", (string?)res["outputs"]![0]!["text"]);
        Assert.Equal("local", (string?)res["metrics"]!["provider"]);
        Assert.True((double)res["metrics"]!["run_ms"]! >= 0);
    }

    [Fact]
    public async Task Metrics_ShowCallsByOutcome_InFlight_LaneGauges_AndLatencyHistograms()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "3" });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await client.CallAsync("m1", "chat", new JsonObject { ["prompt"] = "ok" });
        await client.ResultAsync("m1");
        await client.CallAsync("m2", "chat", new JsonObject { ["prompt"] = "slow", ["local_latency_ms"] = 60_000 });
        // m2 running, and m1's worker done (it counts as busy until just after m1's result went out).
        await Eventually(() => daemon.Dispatcher.TryGetCall(new(client.SessionId!, "m2"), out var m2) && m2.IsRunning && daemon.Dispatcher.BusySlots == 1);

        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{daemon.EndPoint.Port}/metrics", TestContext.Current.CancellationToken);

        Assert.Contains("exaifast_calls_total{tool=\"chat\",outcome=\"ok\"} 1", text);
        Assert.Contains("exaifast_calls_inflight 1", text);
        Assert.Contains("exaifast_lane_workers_busy{lane=\"local\"} 1", text);
        Assert.Contains("exaifast_lane_workers{lane=\"local\"} 3", text);
        Assert.Contains("exaifast_lane_queued{lane=\"local\"} 0", text);
        Assert.Contains("exaifast_call_submissions_total{status=\"accepted\"} 2", text);
        Assert.Contains("exaifast_call_queue_seconds_count 1", text);
        Assert.Contains("exaifast_call_run_seconds_count{tool=\"chat\"} 1", text);
    }

    [Fact]
    public async Task Streaming_SendsOrderedChunks_ThatAddUpToTheText()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await client.CallAsync("s1", "chat", new JsonObject { ["prompt"] = "stream me", ["stream"] = true, ["local_latency_ms"] = 60 });
        var res = await client.ResultAsync("s1");

        var chunks = client.All.Where(f => (string?)f["op"] == "stream_chunk").ToList();
        Assert.NotEmpty(chunks);
        Assert.Equal(Enumerable.Range(1, chunks.Count), chunks.Select(c => (int)c["seq"]!));
        Assert.Equal((string?)res["text"], string.Concat(chunks.Select(c => (string)c["chunk"]!)));
        var order = client.All.Select(f => (string)f["op"]!).Where(op => op is "call_tool_ack" or "stream_chunk" or "call_tool_res").ToList();
        Assert.Equal("call_tool_ack", order[0]);
        Assert.Equal("call_tool_res", order[^1]);
    }

    [Fact]
    public async Task Progress_Heartbeats_WhileACallRuns()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        // Held running until three heartbeats came, however late the timer fires on a busy machine (a 400 ms call
        // counted on getting three of them in time), then cancelled.
        await client.CallAsync("p1", "chat", new JsonObject { ["prompt"] = "slow", ["local_latency_ms"] = 60_000 });
        await Eventually(() => client.All.Count(f => (string?)f["op"] == "progress" && (string?)f["request_id"] == "p1") >= 3, because: "fewer than 3 progress frames in 20 s of a running call");
        Assert.Equal(0, client.All.Count(f => (string?)f["op"] == "call_tool_res")); // they came while it ran
        await client.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = "p1" });
        Assert.Equal("CANCELLED", (string?)(await client.ResultAsync("p1"))["error"]!["code"]);

        var progress = client.All.Where(f => (string?)f["op"] == "progress" && (string?)f["request_id"] == "p1").ToList();
        Assert.All(progress, p => Assert.Equal("chat", (string?)p["name"]));
    }

    [Fact]
    public async Task EscapedToolNamesAndOps_AndPromptsOfOnlyNonAsciiOrEscapedText_AreReadAsTheirValues()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        // The reader compares ops and tool names as raw UTF-8 where it can; escapes must still mean what JSON says.
        await client.SendRawAsync("""{"op":"call\u005ftool","request_id":"e1","name":"ch\u0061t_EXAI-WS","arguments":{"prompt":"\u00e9t\u00e9"}}""");
        await client.SendRawAsync("""{"op":"call_tool","request_id":"e2","name":"chat","arguments":{"prompt":"日本"}}""");

        var results = new Dictionary<string, JsonObject>();
        while (results.Count < 2) // two workers: either may answer first
        {
            var res = await client.OpAsync("call_tool_res");
            results[(string)res["request_id"]!] = res;
        }

        var (first, second) = (results["e1"], results["e2"]);
        Assert.True((bool)first["ok"]!, first.ToJsonString());
        Assert.Contains("You wrote: \"été\"", (string?)first["text"]);
        Assert.True((bool)second["ok"]!, second.ToJsonString());
        Assert.Contains("You wrote: \"日本\"", (string?)second["text"]);
    }

    [Theory]
    [InlineData("""{"op":"call_tool","request_id":"r1"}""", "call_tool_res", "INVALID_REQUEST", "name")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":[1,2]}""", "call_tool_res", "INVALID_ARGUMENTS", "object")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"nope"}""", "call_tool_res", "TOOL_NOT_FOUND", "nope")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":{}}""", "call_tool_res", "INVALID_ARGUMENTS", "'prompt' is required")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":{"prompt":"   "}}""", "call_tool_res", "INVALID_ARGUMENTS", "'prompt' must be a non-empty string")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":{"prompt":" \t\n\u00a0"}}""", "call_tool_res", "INVALID_ARGUMENTS", "'prompt' must be a non-empty string")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":{"prompt":"  "}}""", "call_tool_res", "INVALID_ARGUMENTS", "'prompt' must be a non-empty string")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":{"prompt":5}}""", "call_tool_res", "INVALID_ARGUMENTS", "'prompt' must be a non-empty string")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"ch\u0061tt"}""", "call_tool_res", "TOOL_NOT_FOUND", "chatt")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":{"prompt":"x","temperature":7}}""", "call_tool_res", "INVALID_ARGUMENTS", "'temperature'")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":{"prompt":"x","model":"gpt-9"}}""", "call_tool_res", "INVALID_ARGUMENTS", "unknown model")]
    [InlineData("""{"op":"call_tool","request_id":"r1","name":"version","arguments":{"local_latency_ms":-1}}""", "call_tool_res", "INVALID_ARGUMENTS", "local_latency_ms")]
    [InlineData("""{"op":"frobnicate","request_id":"r1"}""", "error", "INVALID_REQUEST", "unknown op: frobnicate")]
    [InlineData("""{"request_id":"r1"}""", "error", "INVALID_REQUEST", "no string 'op'")]
    [InlineData("""[1,2,3]""", "error", "INVALID_REQUEST", "not a JSON object")]
    [InlineData("""{not json""", "error", "INVALID_REQUEST", "not valid JSON")]
    [InlineData("""{"op":"cancel","request_id":"r1"}""", "error", "INVALID_REQUEST", "no call in flight")]
    [InlineData("""{"op":"cancel"}""", "error", "INVALID_REQUEST", "needs a 'request_id'")]
    public async Task BadInput_GetsASpecificError_AndTheConnectionKeepsWorking(string frame, string op, string code, string messagePart)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await client.SendRawAsync(frame);
        var reply = await client.NextAsync();

        Assert.Equal(op, (string?)reply["op"]);
        var error = reply["error"]!;
        Assert.Equal(code, (string?)error["code"]);
        Assert.Contains(messagePart, (string?)error["message"]);
        if (frame.Contains("\"r1\"", StringComparison.Ordinal))
        {
            Assert.Equal("r1", (string?)reply["request_id"]); // errors carry the request id
        }

        await client.CallAsync("after", "version");
        Assert.True((bool)(await client.ResultAsync("after"))["ok"]!);
    }

    [Fact]
    public async Task ABinaryFrameOfInvalidUtf8_IsNotValidJson_NotAToolFailure()
    {
        // Text frames are checked by the framer; a binary frame's bytes only here. A stray byte inside a string once
        // parsed, reached chat and came back INTERNAL_ERROR.
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        byte[] frame = Encoding.UTF8.GetBytes("""{"op":"call_tool","request_id":"r1","name":"chat","arguments":{"prompt":"bad XY"}}""");
        int at = Array.IndexOf(frame, (byte)'X');
        (frame[at], frame[at + 1]) = (0xC3, 0x28);

        await client.SendBinaryAsync(frame);
        var reply = await client.NextAsync();

        Assert.Equal("error", (string?)reply["op"]);
        Assert.Equal("INVALID_REQUEST", (string?)reply["error"]!["code"]);
        Assert.Contains("not valid JSON", (string?)reply["error"]!["message"], StringComparison.Ordinal);
        await client.CallAsync("after", "version");
        Assert.True((bool)(await client.ResultAsync("after"))["ok"]!);
    }

    [Fact]
    public async Task PingHealthListToolsAndCancel_AreAnsweredAtOnce_WhileEveryWorkerIsBusy()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "2", ["EXAI_WS_QUEUE_DEPTH"] = "4" });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        // Two to occupy the workers first: submitted all at once, the queue (4) could fill before a worker dequeues.
        for (int i = 0; i < 6; i++)
        {
            await client.CallAsync($"busy{i}", "chat", new JsonObject { ["prompt"] = $"p{i}", ["local_latency_ms"] = 60_000 });
            if (i == 1)
            {
                await Eventually(() => daemon.Dispatcher.BusySlots == 2);
            }
        }

        await Eventually(() => daemon.Dispatcher.BusySlots == 2 && daemon.Dispatcher.Queued == 4);

        await client.SendAsync(new JsonObject { ["op"] = "ping", ["request_id"] = "pg" });
        Assert.Equal("pg", (string?)(await client.OpAsync("pong"))["request_id"]);
        await client.SendAsync(new JsonObject { ["op"] = "health", ["request_id"] = "h" });
        var health = (await client.OpAsync("health_res"))["health"]!;
        Assert.Equal(6, (int)health["inflight"]!);
        Assert.Equal(4, (int)health["queued"]!);
        Assert.Equal("available", (string?)health["providers"]!["local"]!["state"]);
        await client.SendAsync(new JsonObject { ["op"] = "list_tools" });
        await client.OpAsync("list_tools_res");

        await client.CallAsync("over", "chat", new JsonObject { ["prompt"] = "one more" });
        var over = await client.ResultAsync("over");
        Assert.Equal("OVER_CAPACITY", (string?)over["error"]!["code"]);
        Assert.Equal(1, (double)over["error"]!["retry_after"]!);

        // Queued ones first (a cancelled running call frees its worker, which would start the next queued one).
        foreach (int i in new[] { 2, 3, 4, 5, 0, 1 })
        {
            await client.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = $"busy{i}" });
            var cancelled = await client.WaitForAsync(f => (string?)f["op"] == "cancelled" && (string?)f["request_id"] == $"busy{i}");
            Assert.Equal(i < 2, (bool)cancelled["was_running"]!);
        }

        // Each `cancelled` reply is queued before the call's CANCELLED result, which is the call's last frame.
        await Eventually(() => client.All.Count(f => (string?)f["op"] == "call_tool_res" && ((string?)f["request_id"])!.StartsWith("busy", StringComparison.Ordinal)) == 6);
        var record = client.All.ToList();
        for (int i = 0; i < 6; i++)
        {
            var frames = record.Where(f => (string?)f["request_id"] == $"busy{i}").Select(f => (string?)f["op"]).ToList();
            Assert.Equal(["call_tool_ack", "cancelled", "call_tool_res"], frames.Where(op => op != "progress"));
            Assert.Equal("call_tool_res", frames[^1]);
            Assert.Equal("CANCELLED", (string?)record.Single(f => (string?)f["op"] == "call_tool_res" && (string?)f["request_id"] == $"busy{i}")["error"]!["code"]);
        }

        await Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.LocalModel.Cancelled == 2);
    }

    internal static async Task Eventually(Func<bool> condition, int timeoutMs = 20_000, string? because = null)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, because ?? "condition not reached in time");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
