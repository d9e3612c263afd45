using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Stdio;

/// <summary>The real <c>exaifast stdio</c> process, bridged over exai-ws to an in-test daemon (or to none).</summary>
public class StdioBridgeTests
{
    private static Dictionary<string, string> BridgeEnv(int port, string? token = null)
    {
        var env = new Dictionary<string, string> { ["EXAI_WS_PORT"] = port.ToString(CultureInfo.InvariantCulture) };
        if (token is not null)
        {
            env["EXAI_WS_TOKEN"] = token;
        }

        return env;
    }

    private static string TextOf(JsonObject response) => (string?)response["result"]!["content"]![0]!["text"] ?? "";

    [Theory]
    [InlineData("2025-11-25", true)]
    [InlineData("2024-11-05", false)]
    public async Task TitlesHintsSchemasAndUsage_CrossTheBridge_AsTheClientsRevisionDefinesThem(string revision, bool structured)
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_MODELS"] = "stream",
        });
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port));
        await bridge.RequestAsync("init", "initialize", new JsonObject
        {
            ["protocolVersion"] = revision, ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "stdio-tests", ["version"] = "1" },
        });
        Assert.Equal(revision, (string?)(await bridge.ResponseAsync("init"))["result"]!["protocolVersion"]);

        await bridge.RequestAsync(2, "tools/list");
        var chat = (await bridge.ResponseAsync(2))["result"]!["tools"]!.AsArray().Single(t => (string?)t!["name"] == "chat")!;
        if (structured)
        {
            Assert.Equal("Chat", (string?)chat["title"]);
            Assert.True((bool)chat["annotations"]!["readOnlyHint"]!);
            Assert.Equal("object", (string?)chat["outputSchema"]!["type"]);
        }
        else
        {
            Assert.Null(chat["title"]);
            Assert.Null(chat["annotations"]);
            Assert.Null(chat["outputSchema"]);
        }

        await bridge.RequestAsync(3, "tools/call", new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "hi", ["model"] = "stream" } });
        var result = (await bridge.ResponseAsync(3))["result"]!;
        Assert.False((bool)result["isError"]!, result.ToJsonString());
        if (structured)
        {
            Assert.Equal("openai", (string?)result["structuredContent"]!["provider"]);
            Assert.Equal(12, (int)result["structuredContent"]!["usage"]!["input_tokens"]!); // the provider's report, from the daemon
            Assert.Equal(fake.StreamChunks, (int)result["structuredContent"]!["usage"]!["output_tokens"]!);
        }
        else
        {
            Assert.Null(result["structuredContent"]);
        }
    }

    [Fact]
    public async Task Initialize_ListTools_CallChat()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port));
        await bridge.InitializeAsync();

        await bridge.RequestAsync(2, "tools/list");
        var tools = (await bridge.ResponseAsync(2))["result"]!["tools"]!.AsArray();
        Assert.Contains(tools, t => (string?)t!["name"] == "chat" && (string?)t["inputSchema"]!["type"] == "object");

        await bridge.CallAsync(3, "hello over stdio");
        var chat = await bridge.ResponseAsync(3);
        Assert.False((bool)chat["result"]!["isError"]!);
        Assert.Contains("hello over stdio", TextOf(chat), StringComparison.Ordinal);

        await bridge.CallAsync(4, "x", tool: "no-such-tool");
        Assert.Equal(-32602, (int)(await bridge.ResponseAsync(4))["error"]!["code"]!);

        await bridge.RequestAsync(5, "tools/call", new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject() });
        var invalid = await bridge.ResponseAsync(5);
        Assert.True((bool)invalid["result"]!["isError"]!);
        Assert.StartsWith("INVALID_ARGUMENTS", TextOf(invalid), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenParallelCalls_BeyondTheSessionLimit_TheLastTwoWaitInTheBridge_AndAreAnsweredAsSlotsFree()
    {
        // 10 calls against a session limit of 8 (the default). The first 8 hold their slots until cancelled, so that
        // "8 at the daemon, 2 waiting in the bridge" is a state the test waits for, whatever the machine's speed.
        await using var daemon = await Daemon.StartAsync();
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port));
        await bridge.InitializeAsync();

        for (int i = 0; i < 10; i++)
        {
            await bridge.CallAsync(100 + i, $"parallel {i}", latencyMs: i < 8 ? 600_000 : 0);
        }

        await bridge.RequestAsync("read-all", "ping"); // stdin is read in order: the bridge has all 10 calls
        await bridge.ResponseAsync("read-all");
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Requests == 8, because: "the first 8 calls never all reached the daemon");
        Assert.DoesNotContain(bridge.Messages, m => IdIn(m, 100, 110)); // nothing refused, nothing answered

        await CancelAsync(bridge, 100);
        await CancelAsync(bridge, 101);
        foreach (int id in (int[])[108, 109])
        {
            var response = await bridge.ResponseAsync(id);
            Assert.False((bool)response["result"]!["isError"]!, response.ToJsonString());
            Assert.Contains($"parallel {id - 100}", TextOf(response), StringComparison.Ordinal);
        }

        Assert.Equal(10, daemon.LocalModel.Requests); // sent once each, when a slot freed
        for (int id = 102; id < 108; id++)
        {
            await CancelAsync(bridge, id);
        }

        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0, because: "cancelled calls still run at the daemon");
        await bridge.RequestAsync("sync", "ping");
        await bridge.ResponseAsync("sync");
        Assert.Equal([108, 109], bridge.Messages.Where(m => IdIn(m, 100, 110)).Select(m => (int)m["id"]!).Order().ToArray());
    }

    private static bool IdIn(JsonObject message, int from, int to) =>
        message["method"] is null && message["id"] is JsonValue v && v.TryGetValue<int>(out int n) && n >= from && n < to;

    private static Task CancelAsync(StdioProcess bridge, int id) => bridge.SendAsync(new JsonObject
    {
        ["jsonrpc"] = "2.0",
        ["method"] = "notifications/cancelled",
        ["params"] = new JsonObject { ["requestId"] = id, ["reason"] = "test" },
    });

    [Fact]
    public async Task RichContent_AndTheToolsProgressMeasure_CrossTheBridge()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_CONFORMANCE_TOOLS"] = "true" });
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port));
        await bridge.InitializeAsync();

        await bridge.RequestAsync(20, "tools/call", new JsonObject { ["name"] = "test_multiple_content_types", ["arguments"] = new JsonObject() });
        var content = (await bridge.ResponseAsync(20))["result"]!["content"]!.AsArray();
        Assert.Equal(["text", "image", "resource"], content.Select(c => (string)c!["type"]!).ToArray());
        Assert.Equal("image/png", (string?)content[1]!["mimeType"]);
        Assert.Equal("test://mixed-content-resource", (string?)content[2]!["resource"]!["uri"]);

        await bridge.RequestAsync(21, "tools/call", new JsonObject
        {
            ["name"] = "test_tool_with_progress", ["arguments"] = new JsonObject(), ["_meta"] = new JsonObject { ["progressToken"] = "tok-21" },
        });
        await bridge.ResponseAsync(21);
        var progress = bridge.ProgressOf("tok-21");
        Assert.Equal([0.0, 50.0, 100.0], progress.Select(p => (double)p["params"]!["progress"]!).ToArray());
        Assert.All(progress, p => Assert.Equal(100, (double)p["params"]!["total"]!));
    }

    [Fact]
    public async Task Progress_ForAProgressToken_Increases_AndStopsAtTheResponse()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.1" });
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port));
        await bridge.InitializeAsync();

        await bridge.CallAsync(7, "with progress", latencyMs: 600, progressToken: "tok-7");
        await bridge.CallAsync(8, "without progress", latencyMs: 600);
        await bridge.ResponseAsync(7);
        await bridge.ResponseAsync(8);
        await bridge.RequestAsync("sync", "ping");
        await bridge.ResponseAsync("sync");

        var messages = bridge.Messages;
        var progress = bridge.ProgressOf("tok-7");
        Assert.NotEmpty(progress);
        var values = progress.Select(p => (double)p["params"]!["progress"]!).ToList();
        Assert.Equal(values.OrderBy(v => v).Distinct(), values);
        int responseAt = messages.FindIndex(m => m["id"]?.ToJsonString() == "7");
        Assert.All(progress, p => Assert.True(messages.IndexOf(p) < responseAt, "progress after the response"));
        Assert.Equal(progress.Count, messages.Count(m => (string?)m["method"] == "notifications/progress")); // none for call 8
    }

    [Fact]
    public async Task Cancel_StopsTheWork_NoResponseOrProgressFollows_AndTheNextCallWorks()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port));
        await bridge.InitializeAsync();

        await bridge.CallAsync(9, "slow", latencyMs: 60_000, progressToken: "tok-9");
        await bridge.WaitForAsync(m => bridge.ProgressOf("tok-9").Count >= 2, "two progress notifications of the running call");
        await bridge.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = "notifications/cancelled",
            ["params"] = new JsonObject { ["requestId"] = 9, ["reason"] = "test" },
        });

        // The stdin reader marks the request cancelled before it reads the ping: nothing about it may follow the pong.
        await bridge.RequestAsync("after-cancel", "ping");
        await bridge.ResponseAsync("after-cancel");
        int pongAt = bridge.Messages.FindIndex(m => m["id"]?.ToJsonString() == "\"after-cancel\"");

        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.LocalModel.Cancelled == 1, because: "the daemon's call was not cancelled");
        await bridge.CallAsync(10, "after the cancel");
        Assert.Contains("after the cancel", TextOf(await bridge.ResponseAsync(10)), StringComparison.Ordinal);

        var messages = bridge.Messages;
        Assert.DoesNotContain(messages, m => m["id"]?.ToJsonString() == "9");
        Assert.DoesNotContain(messages.Skip(pongAt), m => (string?)m["method"] == "notifications/progress" && (string?)m["params"]!["progressToken"] == "tok-9");
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0);
    }

    [Fact]
    public async Task MalformedAndOverlongLines_GetErrors_AndTheBridgeGoesOn()
    {
        await using var daemon = await Daemon.StartAsync();
        var env = BridgeEnv(daemon.EndPoint.Port);
        env["EXAI_WS_MAX_BYTES"] = "2048";
        await using var bridge = StdioProcess.Start(env);
        await bridge.InitializeAsync();

        await bridge.WriteLineAsync("this is not json");
        var parseError = await bridge.WaitForAsync(m => m["error"] is { } e && (int)e["code"]! == -32700, "-32700");
        Assert.Null(parseError["id"]);

        await bridge.WriteLineAsync("");
        await bridge.WriteLineAsync("   ");
        await bridge.WriteLineAsync("{\"jsonrpc\":\"2.0\",\"id\":\"big\",\"method\":\"ping\",\"params\":{\"pad\":\"" + new string('x', 100_000) + "\"}}");
        await bridge.WaitForAsync(m => m["error"] is { } e && (int)e["code"]! == -32600 && ((string?)e["message"])!.Contains("longer", StringComparison.Ordinal), "-32600 for the long line");

        await bridge.RequestAsync(11, "ping");
        await bridge.ResponseAsync(11);
        await bridge.CallAsync(12, "still here");
        Assert.Contains("still here", TextOf(await bridge.ResponseAsync(12)), StringComparison.Ordinal);
        Assert.Equal(2, bridge.Messages.Count(m => m["error"] is not null)); // blank lines got nothing
    }

    [Fact]
    public async Task EndOfStdin_ExitsZero_AndCancelsItsCallsAtTheDaemon()
    {
        // The disconnect grace is 60 s: only the bridge's cancel can end the call within the assertion's 30 s.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05", ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "60" });
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port));
        await bridge.InitializeAsync();
        await bridge.CallAsync(13, "slow", latencyMs: 60_000, progressToken: "tok-13");
        await bridge.WaitForAsync(m => bridge.ProgressOf("tok-13").Count >= 1, "the call running");

        bridge.CloseStdin();

        Assert.Equal(0, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.LocalModel.Cancelled == 1, timeoutMs: 30_000, because: "the call still runs at the daemon");
        Assert.DoesNotContain(bridge.Messages, m => m["id"]?.ToJsonString() == "13");
    }

    [Fact]
    public async Task Sigterm_EndsTheBridgeCleanly()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "60" });
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port));
        await bridge.InitializeAsync();
        await bridge.CallAsync(14, "slow", latencyMs: 60_000);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 1);

        bridge.Signal(15);

        Assert.Equal(0, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0, timeoutMs: 30_000, because: "the call still runs at the daemon"); // the grace is 60 s
    }

    [Fact]
    public async Task ConnectionCutMidCall_TheBridgeReconnects_AndTheRunningCallsResultArrives()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        await using var proxy = new TcpProxy(daemon.EndPoint);
        await using var bridge = StdioProcess.Start(BridgeEnv(proxy.Port));
        await bridge.InitializeAsync();
        await bridge.CallAsync(15, "survives a cut", latencyMs: 1_500, progressToken: "tok-15");
        await bridge.WaitForAsync(m => bridge.ProgressOf("tok-15").Count >= 1, "the call running");

        proxy.DropAll();

        var response = await bridge.ResponseAsync(15);
        Assert.False((bool)response["result"]!["isError"]!, response.ToJsonString());
        Assert.Contains("survives a cut", TextOf(response), StringComparison.Ordinal);
        Assert.True(proxy.Accepted >= 2, "the bridge did not reconnect");
        Assert.Equal(1, daemon.LocalModel.Requests); // attached to the running call, not run twice
    }

    [Fact]
    public async Task ResultThatFinishedWhileDisconnected_IsCollectedOnReconnect()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        await using var proxy = new TcpProxy(daemon.EndPoint);
        await using var bridge = StdioProcess.Start(BridgeEnv(proxy.Port));
        await bridge.InitializeAsync();
        await bridge.RequestAsync("connected", "tools/list"); // answered by the daemon: the bridge's hello went through
        await bridge.ResponseAsync("connected");

        // Whatever the daemon sends from here on stays in the proxy: on a machine slow enough for the call to end
        // before the cut, its answer still never reaches the bridge over this connection.
        proxy.HoldReplies();
        await bridge.CallAsync(16, "finished in the gap", latencyMs: 400, progressToken: "tok-16");
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Requests == 1, because: "the call never started at the daemon");

        proxy.Refusing = true;
        proxy.DropAll();
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Completed == 1 && daemon.Dispatcher.Inflight == 0, because: "the call did not finish at the daemon");
        Assert.DoesNotContain(bridge.Messages, m => m["id"]?.ToJsonString() == "16");
        proxy.ReleaseReplies();
        proxy.Refusing = false;

        var response = await bridge.ResponseAsync(16);
        Assert.Contains("finished in the gap", TextOf(response), StringComparison.Ordinal);
        Assert.Equal(1, daemon.LocalModel.Requests); // replayed from the daemon's result store
    }

    [Fact]
    public async Task DaemonRestartedOnTheSamePort_LaterCallsWork()
    {
        var first = await Daemon.StartAsync();
        int port = first.EndPoint.Port;
        await using var bridge = StdioProcess.Start(BridgeEnv(port));
        await bridge.InitializeAsync();
        await bridge.CallAsync(17, "before");
        await bridge.ResponseAsync(17);

        await first.DisposeAsync();
        await bridge.CallAsync(18, "during the gap"); // waits for the daemon to come back
        await using var second = await Daemon.StartAsync(port: port);

        var response = await bridge.ResponseAsync(18);
        Assert.Contains("during the gap", TextOf(response), StringComparison.Ordinal);
        Assert.Equal(1, second.LocalModel.Requests);
    }

    [Fact]
    public async Task WrongToken_FailsCallsAndListsWithAClearError_AtOnce()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "the-right-one" });
        // A bridge that took the refusal for a daemon not there yet would wait its connect timeout, an hour here: "at once"
        // is any answer within the test's 60 s, however slow the machine.
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port, token: "a-wrong-one"), "--connect-timeout", "3600");
        await bridge.InitializeAsync();

        await bridge.CallAsync(19, "denied");
        var response = await bridge.ResponseAsync(19, timeoutMs: 60_000);
        Assert.True((bool)response["result"]!["isError"]!);
        Assert.StartsWith("UNAUTHORIZED:", TextOf(response), StringComparison.Ordinal);
        Assert.Contains("EXAI_WS_TOKEN", TextOf(response), StringComparison.Ordinal);
        await bridge.RequestAsync(20, "tools/list");
        Assert.Contains("EXAI_WS_TOKEN", (string?)(await bridge.ResponseAsync(20, timeoutMs: 60_000))["error"]!["message"], StringComparison.Ordinal);
        Assert.Equal(0, daemon.LocalModel.Requests);
    }

    [Fact]
    public async Task RightToken_Works()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "the-right-one" });
        await using var bridge = StdioProcess.Start(BridgeEnv(daemon.EndPoint.Port, token: "the-right-one"));
        await bridge.InitializeAsync();
        await bridge.CallAsync(21, "allowed");
        Assert.Contains("allowed", TextOf(await bridge.ResponseAsync(21)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoDaemon_CallsFailAfterTheConnectTimeout_WithAClearError()
    {
        int port = FreePort();
        await using var bridge = StdioProcess.Start(BridgeEnv(port), "--connect-timeout", "1");
        await bridge.InitializeAsync();
        await bridge.CallAsync(22, "nobody home");
        var response = await bridge.ResponseAsync(22, timeoutMs: 10_000);
        Assert.True((bool)response["result"]!["isError"]!);
        Assert.StartsWith("DAEMON_UNAVAILABLE:", TextOf(response), StringComparison.Ordinal);
        Assert.Contains("--autostart", TextOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InProcess_AnswersWithoutAnyDaemon()
    {
        await using var bridge = StdioProcess.Start(new Dictionary<string, string> { ["EXAI_WS_PORT"] = FreePort().ToString(CultureInfo.InvariantCulture), ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" }, "--in-process");
        await bridge.InitializeAsync();
        await bridge.RequestAsync(23, "tools/list");
        Assert.Contains((await bridge.ResponseAsync(23))["result"]!["tools"]!.AsArray(), t => (string?)t!["name"] == "chat");
        await bridge.CallAsync(24, "in process");
        Assert.Contains("in process", TextOf(await bridge.ResponseAsync(24)), StringComparison.Ordinal);

        // Progress of a call that runs until it is cancelled: seen whenever the heartbeat gets to run, however busy the
        // machine (a short call could end before the first beat on a starved one).
        await bridge.CallAsync(25, "still running", latencyMs: 60_000, progressToken: "tok-25");
        await bridge.WaitForAsync(m => bridge.ProgressOf("tok-25").Count >= 1, "a progress notification of the running call");
        await CancelAsync(bridge, 25);

        bridge.CloseStdin();
        Assert.Equal(0, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
