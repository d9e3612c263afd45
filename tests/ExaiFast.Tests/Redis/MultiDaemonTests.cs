using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using StackExchange.Redis;

namespace ExaiFast.Tests.Redis;

/// <summary>
/// Two daemon processes behind a real nginx, sharing a real redis-server: a client that reconnects with its session_id
/// collects its result from whichever daemon it lands on, a call still running on the other daemon is waited for (never
/// run twice) — and answered with a clear error when that daemon is killed — and Redis going away and coming back is seen,
/// survived and recovered from.
/// </summary>
public sealed class MultiDaemonTests : IAsyncLifetime
{
    private DaemonPair _pair = null!;

    public async ValueTask InitializeAsync() => _pair = await DaemonPair.StartAsync(new Dictionary<string, string>
    {
        // Longer than any reconnect below, so no call is cancelled as an orphan while its client finds its way back.
        ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "60",
        ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.5",
    });

    public async ValueTask DisposeAsync() => await _pair.DisposeAsync();

    private static string NewSession() => "s-" + Guid.NewGuid().ToString("N")[..12];

    // What "never run twice" rests on: the owner has seen the connection close and left its marker for the call. A
    // client that comes back through another daemon before that (the owner is that slow to see a closed socket) finds
    // no marker and runs its call there (docs/operations.md says so); waiting for the marker keeps a loaded machine
    // from turning that window into a failure of something else.
    private async Task UntilTheOwnerMarkedItAsync(string session, string requestId)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_pair.Redis.Port}");
        var db = redis.GetDatabase();
        await Eventually.Until(async () => await db.KeyExistsAsync($"exaifast:running:{session}:{requestId}"));
    }

    [Fact]
    public async Task AResultStoredByOneDaemon_IsCollectedFromTheOther_AfterAReconnect()
    {
        string session = NewSession();
        JsonObject first;
        await using (var c1 = await _pair.ConnectToAsync(0, session))
        {
            await c1.CallAsync("r1", "version");
            first = await c1.ResultAsync("r1");
            Assert.True((bool)first["ok"]!, first.ToJsonString());
        }

        await using var c2 = await _pair.ConnectToAsync(1, session);
        await c2.CallAsync("r1", "version");
        var again = await c2.ResultAsync("r1");
        Assert.True((bool)again["ok"]!, again.ToJsonString());
        Assert.Equal((string?)first["text"], (string?)again["text"]);
        string?[] replayed = [.. c2.All.Where(f => (string?)f["request_id"] == "r1").Select(f => (string?)f["op"])];
        Assert.Equal(["call_tool_ack", "call_tool_res"], replayed); // replayed as from a local store: ack first, then the stored result
        Assert.Equal(1, await _pair.MetricAsync(0, "exaifast_calls_total", "tool=\"version\""));
        Assert.Equal(0, await _pair.MetricAsync(1, "exaifast_calls_total", "tool=\"version\"")); // never run twice

        // A request id no daemon knows runs where it landed.
        await c2.CallAsync("r2", "version");
        Assert.True((bool)(await c2.ResultAsync("r2"))["ok"]!);
        Assert.Equal(1, await _pair.MetricAsync(1, "exaifast_calls_total", "tool=\"version\""));
    }

    [Fact]
    public async Task ACallStillRunningOnOneDaemon_IsWaitedForFromTheOther_NeverRunTwice()
    {
        string session = NewSession();
        // Long enough to be still running when the client is back (a reconnect takes well under a second).
        var arguments = new JsonObject { ["prompt"] = "what lasts", ["local_latency_ms"] = 10_000 };
        var c1 = await _pair.ConnectToAsync(0, session);
        await c1.CallAsync("slow", "chat", arguments.DeepClone().AsObject());
        await c1.OpAsync("call_tool_ack");
        c1.Vanish(); // the connection drops mid-call
        await c1.DisposeAsync();
        await UntilTheOwnerMarkedItAsync(session, "slow");

        await using var c2 = await _pair.ConnectToAsync(1, session);
        await c2.CallAsync("slow", "chat", arguments.DeepClone().AsObject());
        var ack = await c2.OpAsync("call_tool_ack");
        Assert.Equal("slow", (string?)ack["request_id"]);
        var result = await c2.ResultAsync("slow", timeoutMs: 60_000);
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Contains(c2.All, f => (string?)f["op"] == "progress" && (string?)f["request_id"] == "slow"); // heartbeats while waiting
        // The first daemon was asked to keep the call for the client waiting on the second (past its disconnect grace,
        // had that been shorter): the orphan has a listener again.
        await Eventually.Until(() => Task.FromResult(
            _pair.Daemons[0].Stderr.Contains($"Call slow of session {session}: chat in lane local keeps running for its client, who came back through another daemon", StringComparison.Ordinal)));
        Assert.Equal(1, await _pair.MetricAsync(0, "exaifast_calls_total", "tool=\"chat\",outcome=\"ok\""));
        Assert.Equal(0, await _pair.MetricAsync(1, "exaifast_calls_total", "tool=\"chat\""));
    }

    [Theory]
    [InlineData(false)] // the cancel follows a heartbeat: the second daemon is waiting for the first
    [InlineData(true)] // the cancel right behind the re-send, before its ack
    public async Task ACancelSentThroughTheOtherDaemon_CancelsTheCallWhereItRuns_WithOneFinalAnswer_ThatIsStored(bool backToBack)
    {
        string session = NewSession();
        // Far longer than the test: only the cancel can end it (the deadline is the default 180 s).
        var arguments = new JsonObject { ["prompt"] = "what lasts", ["local_latency_ms"] = 120_000 };
        var c1 = await _pair.ConnectToAsync(0, session);
        await c1.CallAsync("long", "chat", arguments.DeepClone().AsObject());
        await c1.OpAsync("call_tool_ack");
        await Eventually.Until(async () => await _pair.MetricAsync(0, "exaifast_lane_workers_busy") == 1);
        c1.Vanish(); // the connection drops mid-call
        await c1.DisposeAsync();
        await UntilTheOwnerMarkedItAsync(session, "long");

        await using var c2 = await _pair.ConnectToAsync(1, session);
        await c2.CallAsync("long", "chat", arguments.DeepClone().AsObject());
        if (!backToBack)
        {
            await c2.OpAsync("call_tool_ack");
            await c2.WaitForAsync(f => (string?)f["op"] == "progress" && (string?)f["request_id"] == "long");
        }

        await c2.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = "long" });
        var cancelled = await c2.OpAsync("cancelled");
        Assert.Equal("long", (string?)cancelled["request_id"]);
        Assert.True((bool)cancelled["was_running"]!, cancelled.ToJsonString());
        var result = await c2.ResultAsync("long");
        Assert.False((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("CANCELLED", (string?)result["error"]!["code"]);

        // Cancelled where it ran, by its client's cancel: its model request abandoned, its slot free, nothing in flight.
        await Eventually.Until(async () => await _pair.MetricAsync(0, "exaifast_calls_total", "tool=\"chat\",outcome=\"cancelled\"") == 1);
        await Eventually.Until(async () => await _pair.MetricAsync(0, "exaifast_lane_workers_busy") == 0
            && await _pair.MetricAsync(0, "exaifast_calls_inflight") == 0);
        await Eventually.Until(() => Task.FromResult(
            _pair.Daemons[0].Stderr.Contains($"Call long of session {session}: chat in lane local ends CANCELLED: its client sent the cancel through another daemon", StringComparison.Ordinal)));

        // Sent again, the request id gets the stored CANCELLED answer (ack first, as for every request): no second run on
        // either daemon.
        await c2.CallAsync("long", "chat", arguments.DeepClone().AsObject());
        var again = await c2.WaitForAsync(f => (string?)f["op"] == "call_tool_res" && (string?)f["request_id"] == "long");
        Assert.Equal("CANCELLED", (string?)again["error"]!["code"]);
        await c2.SendAsync(new JsonObject { ["op"] = "ping", ["request_id"] = "p" });
        await c2.OpAsync("pong");

        // One final answer: of this request's frames, one ack, then `cancelled` and the result, and nothing after them
        // but the replay that the re-send asked for (its ack and the stored result).
        var frames = c2.All.Where(f => (string?)f["request_id"] == "long" && (string?)f["op"] != "progress").Select(f => (string?)f["op"]).ToList();
        Assert.Equal(["call_tool_ack", "cancelled", "call_tool_res", "call_tool_ack", "call_tool_res"], frames);
        Assert.Equal(1, await _pair.MetricAsync(0, "exaifast_calls_total", "tool=\"chat\""));
        Assert.Equal(0, await _pair.MetricAsync(1, "exaifast_calls_total", "tool=\"chat\""));
    }

    [Fact]
    public async Task TheOwnerKilledMidCall_TheDaemonRelayingIt_AnswersWithAClearError_BeforeTheDeadline()
    {
        string session = NewSession();
        // Far longer than the test (the deadline is the default 180 s): only the owner's death can end the relay's wait.
        var arguments = new JsonObject { ["prompt"] = "what lasts", ["local_latency_ms"] = 120_000 };
        var c1 = await _pair.ConnectToAsync(0, session);
        await c1.CallAsync("doomed", "chat", arguments.DeepClone().AsObject());
        await c1.OpAsync("call_tool_ack");
        await Eventually.Until(async () => await _pair.MetricAsync(0, "exaifast_lane_workers_busy") == 1);
        c1.Vanish(); // the connection drops mid-call
        await c1.DisposeAsync();
        await UntilTheOwnerMarkedItAsync(session, "doomed");

        await using var c2 = await _pair.ConnectToAsync(1, session);
        await c2.CallAsync("doomed", "chat", arguments.DeepClone().AsObject());
        await c2.OpAsync("call_tool_ack");
        await c2.WaitForAsync(f => (string?)f["op"] == "progress" && (string?)f["request_id"] == "doomed"); // relaying

        _pair.Daemons[0].Signal(9); // SIGKILL: no result stored, the running marker left behind
        await _pair.Daemons[0].WaitForExitAsync(TimeSpan.FromSeconds(30));

        // Well inside the call's deadline and its 120 s of work: an answer here comes from noticing the owner is gone.
        var result = await c2.ResultAsync("doomed", timeoutMs: 60_000);
        Assert.False((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("INTERNAL_ERROR", (string?)result["error"]!["code"]);
        Assert.Contains("running on another daemon, which stopped before it finished", (string?)result["error"]!["message"], StringComparison.Ordinal);

        // One final answer; the surviving daemon never ran the call, and its connection serves on.
        await c2.SendAsync(new JsonObject { ["op"] = "ping", ["request_id"] = "p" });
        await c2.OpAsync("pong");
        var frames = c2.All.Where(f => (string?)f["request_id"] == "doomed" && (string?)f["op"] != "progress").Select(f => (string?)f["op"]).ToList();
        Assert.Equal(["call_tool_ack", "call_tool_res"], frames);
        Assert.Equal(0, await _pair.MetricAsync(1, "exaifast_calls_total", "tool=\"chat\""));
    }

    [Fact]
    public async Task AConversationBegunThroughOneDaemon_ContinuesThroughTheOther()
    {
        string? id;
        await using (var c1 = await _pair.ConnectToAsync(0, NewSession()))
        {
            await c1.CallAsync("q1", "chat", new JsonObject { ["prompt"] = "first question" });
            var first = await c1.ResultAsync("q1");
            Assert.True((bool)first["ok"]!, first.ToJsonString());
            id = (string?)first["continuation_id"]; // at the top level of call_tool_res
            Assert.True(Guid.TryParse(id, out _), first.ToJsonString());
            Assert.DoesNotContain("earlier message", (string?)first["text"]);
        }

        // Another session on the other daemon: what it finds comes from the shared thread, not from a stored result.
        await using (var c2 = await _pair.ConnectToAsync(1, NewSession()))
        {
            await c2.CallAsync("q2", "chat", new JsonObject { ["prompt"] = "second question", ["continuation_id"] = id });
            var second = await c2.ResultAsync("q2");
            Assert.True((bool)second["ok"]!, second.ToJsonString());
            Assert.Equal(id, (string?)second["continuation_id"]);
            Assert.Contains("after 2 earlier messages", (string?)second["text"]); // the first exchange, from daemon 0
        }

        await using var c3 = await _pair.ConnectToAsync(0, NewSession());
        await c3.CallAsync("q3", "chat", new JsonObject { ["prompt"] = "third question", ["continuation_id"] = id });
        var third = await c3.ResultAsync("q3");
        Assert.True((bool)third["ok"]!, third.ToJsonString());
        Assert.Contains("after 4 earlier messages", (string?)third["text"]); // and the second, from daemon 1
        Assert.Equal(2, await _pair.MetricAsync(0, "exaifast_calls_total", "tool=\"chat\",outcome=\"ok\""));
        Assert.Equal(1, await _pair.MetricAsync(1, "exaifast_calls_total", "tool=\"chat\",outcome=\"ok\""));
    }

    [Fact]
    public async Task RedisStopped_IsSeenAndSurvived_AndWhenItIsBack_EverythingRecovers()
    {
        // A conversation begun while Redis is up.
        string? id;
        await using (var c0 = await ExaiWsClient.ConnectAsync(_pair.Nginx.WebSocketUri, sessionId: NewSession()))
        {
            await c0.CallAsync("begin", "chat", new JsonObject { ["prompt"] = "before the outage" });
            id = (string?)(await c0.ResultAsync("begin"))["continuation_id"];
            Assert.NotNull(id);
        }

        await _pair.Redis.StopAsync();
        foreach (int d in (int[])[0, 1])
        {
            await Eventually.Until(async () => await _pair.MetricAsync(d, "exaifast_redis_up") == 0);
            await Eventually.Until(() => Task.FromResult(_pair.Daemons[d].Stderr.Contains("Redis down", StringComparison.Ordinal)));
            var health = await _pair.GetAsync(d, "/health");
            Assert.Contains("\"redis\":\"down\"", health.Body);
            var ready = await _pair.GetAsync(d, "/ready");
            Assert.Equal(200, ready.Status); // calls that need no thread are still served
            Assert.Contains("\"redis\":\"down\"", ready.Body);
        }

        // Plain calls are answered, through nginx, on either daemon; status says what is down.
        string session = NewSession();
        await using (var c = await ExaiWsClient.ConnectAsync(_pair.Nginx.WebSocketUri, sessionId: session))
        {
            await c.CallAsync("v", "version");
            Assert.True((bool)(await c.ResultAsync("v"))["ok"]!);
            await c.CallAsync("st", "status");
            var status = await c.ResultAsync("st");
            Assert.Contains("conversation store redis (down)", (string?)status["text"]);

            // A call that needs its thread gets a clear error, saying which store and when to retry.
            await c.CallAsync("cont", "chat", new JsonObject { ["prompt"] = "during the outage", ["continuation_id"] = id });
            var refused = await c.ResultAsync("cont");
            Assert.False((bool)refused["ok"]!, refused.ToJsonString());
            Assert.Equal("STORE_UNAVAILABLE", (string?)refused["error"]!["code"]);
            Assert.Contains("conversation store (redis)", (string?)refused["error"]!["message"]);
            Assert.True((double)refused["error"]!["retry_after"]! > 0);

            // A new conversation needs no thread to be answered: the answer comes, with no thread to continue.
            await c.CallAsync("fresh", "chat", new JsonObject { ["prompt"] = "a new question during the outage" });
            var answered = await c.ResultAsync("fresh");
            Assert.True((bool)answered["ok"]!, answered.ToJsonString());
            Assert.Null(answered["continuation_id"]);

            // A workflow step that is only a record of the work needs its thread; a final step and a consensus, whose
            // models answer, are answered without one.
            await c.CallAsync("step", "debug", Workflows.WorkflowCalls.Step(1, 2, more: true, "a step during the outage"));
            var step = await c.ResultAsync("step");
            Assert.False((bool)step["ok"]!, step.ToJsonString());
            Assert.Equal("STORE_UNAVAILABLE", (string?)step["error"]!["code"]);
            Assert.Contains("conversation store (redis)", (string?)step["error"]!["message"]);
            await c.CallAsync("final", "debug", Workflows.WorkflowCalls.Step(1, 1, more: false, "a one-step investigation during the outage"));
            var final = await c.ResultAsync("final");
            Assert.True((bool)final["ok"]!, final.ToJsonString());
            Assert.Null(final["continuation_id"]);
            await c.CallAsync("consensus", "consensus", new JsonObject
            {
                ["step"] = "PROPOSAL: keep serving while Redis is down",
                ["step_number"] = 1,
                ["total_steps"] = 1,
                ["next_step_required"] = false,
                ["findings"] = "the thread store is down",
                ["models"] = new JsonArray(new JsonObject { ["model"] = "local-echo", ["stance"] = "for" }),
            });
            var consensus = await c.ResultAsync("consensus");
            Assert.True((bool)consensus["ok"]!, consensus.ToJsonString());
            Assert.Null(consensus["continuation_id"]);
        }

        await _pair.Redis.StartAsync();
        foreach (int d in (int[])[0, 1])
        {
            await Eventually.Until(async () => await _pair.MetricAsync(d, "exaifast_redis_up") == 1);
            // One "up" line at start, one now.
            await Eventually.Until(() => Task.FromResult(_pair.Daemons[d].Stderr.Split("Redis up").Length - 1 >= 2));
            Assert.Contains("\"redis\":\"up\"", (await _pair.GetAsync(d, "/health")).Body);
        }

        // Threads work again (this Redis keeps nothing on disk, so a new conversation), across both daemons.
        string? fresh;
        await using (var c1 = await _pair.ConnectToAsync(0, NewSession()))
        {
            await c1.CallAsync("new", "chat", new JsonObject { ["prompt"] = "after the outage" });
            var begun = await c1.ResultAsync("new");
            Assert.True((bool)begun["ok"]!, begun.ToJsonString());
            fresh = (string?)begun["continuation_id"];
        }

        await using (var other = await _pair.ConnectToAsync(1, NewSession()))
        {
            await other.CallAsync("more", "chat", new JsonObject { ["prompt"] = "and more", ["continuation_id"] = fresh });
            var continued = await other.ResultAsync("more");
            Assert.True((bool)continued["ok"]!, continued.ToJsonString());
            Assert.Contains("after 2 earlier messages", (string?)continued["text"]);
        }

        // Sharing works again: a result stored by one daemon is collected from the other.
        string again = NewSession();
        string? text;
        await using (var c1 = await _pair.ConnectToAsync(0, again))
        {
            await c1.CallAsync("after", "status");
            var first = await c1.ResultAsync("after");
            Assert.Contains("conversation store redis (up)", (string?)first["text"]);
            text = (string?)first["text"];
        }

        await using var c2 = await _pair.ConnectToAsync(1, again);
        double ranBefore = await _pair.MetricAsync(1, "exaifast_calls_total", "tool=\"status\""); // the outage's status call may have landed here
        await c2.CallAsync("after", "status");
        Assert.Equal(text, (string?)(await c2.ResultAsync("after"))["text"]);
        Assert.Equal(ranBefore, await _pair.MetricAsync(1, "exaifast_calls_total", "tool=\"status\""));
    }
}
