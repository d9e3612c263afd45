using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Mcp;

/// <summary>MCP over WebSocket (subprotocol <c>mcp</c>) against the real composition root, with the BCL client.</summary>
public class McpWebSocketTests
{
    private static Task<ExaiWsClient> ConnectAsync(Daemon daemon) => ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");

    private static JsonObject Request(JsonNode id, string method, JsonObject? parameters = null)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
        if (parameters is not null)
        {
            message["params"] = parameters;
        }

        return message;
    }

    private static JsonObject Call(JsonNode id, string tool, JsonObject arguments, JsonNode? progressToken = null)
    {
        var parameters = new JsonObject { ["name"] = tool, ["arguments"] = arguments };
        if (progressToken is not null)
        {
            parameters["_meta"] = new JsonObject { ["progressToken"] = progressToken };
        }

        return Request(id, "tools/call", parameters);
    }

    private static JsonObject Cancelled(JsonNode id) =>
        new() { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = id, ["reason"] = "test" } };

    private static Task<JsonObject> ResponseAsync(ExaiWsClient client, JsonNode id) =>
        client.WaitForAsync(m => m["method"] is null && JsonNode.DeepEquals(m["id"], id));

    [Fact]
    public async Task Initialize_NegotiatesTheVersion_AndToolsList_ShowsEveryToolWithItsSchema()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ConnectAsync(daemon);

        await client.SendAsync(Request(1, "initialize", new JsonObject { ["protocolVersion"] = "2025-06-18", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "test", ["version"] = "1" } }));
        var init = (await ResponseAsync(client, 1))["result"]!;
        Assert.Equal("2025-06-18", (string?)init["protocolVersion"]); // a version we speak is echoed
        Assert.Equal("exaifast", (string?)init["serverInfo"]!["name"]);
        Assert.NotNull(init["capabilities"]!["tools"]);

        await client.SendAsync(Request("again", "initialize", new JsonObject { ["protocolVersion"] = "1999-01-01" }));
        Assert.Equal("2025-11-25", (string?)(await ResponseAsync(client, "again"))["result"]!["protocolVersion"]); // else our latest

        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" });
        await client.SendAsync(Request(2, "tools/list"));
        var next = await client.NextAsync(); // the notification got no answer: the next message is tools/list's
        Assert.Equal(2, (int)next["id"]!);
        var tools = next["result"]!["tools"]!.AsArray();
        Assert.Equal(ExpectedTools.Names, tools.Select(t => (string)t!["name"]!).ToArray());
        Assert.All(tools, t => Assert.Equal("object", (string?)t!["inputSchema"]!["type"]));
    }

    [Fact]
    public async Task ToolsCall_IsAnsweredWithTextContent_UnderItsOwnId_StringOrNumber()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ConnectAsync(daemon);

        await client.SendAsync(Call(7, "chat", new JsonObject { ["prompt"] = "hello there" }));
        await client.SendAsync(Call("seven", "chat", new JsonObject { ["prompt"] = "hello there" }));
        var byNumber = (await ResponseAsync(client, 7))["result"]!;
        var byString = (await ResponseAsync(client, "seven"))["result"]!;

        Assert.False((bool)byNumber["isError"]!);
        Assert.Equal("text", (string?)byNumber["content"]![0]!["type"]);
        Assert.Contains("hello there", (string?)byNumber["content"]![0]!["text"], StringComparison.Ordinal);
        Assert.Equal((string?)byNumber["content"]![0]!["text"], (string?)byString["content"]![0]!["text"]);

        // An id used again after its call ended runs again (JSON-RPC ids are not exai-ws request ids: nothing is replayed).
        await client.SendAsync(Call(7, "status", new JsonObject()));
        Assert.Contains("uptime", (string?)(await ResponseAsync(client, 7))["result"]!["content"]![0]!["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProgressToken_GetsProgressNotifications_WithIncreasingProgress_BeforeTheResult()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        await using var client = await ConnectAsync(daemon);

        await client.SendAsync(Call(1, "chat", new JsonObject { ["prompt"] = "slow", ["local_latency_ms"] = 600 }, progressToken: "tok-1"));
        await ResponseAsync(client, 1);

        var progress = client.All.Where(m => (string?)m["method"] == "notifications/progress").Select(m => m["params"]!).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.Equal("tok-1", (string?)p!["progressToken"]));
        var values = progress.Select(p => (double)p!["progress"]!).ToList();
        Assert.Equal(values.Order().ToList(), values);
        Assert.Equal(values.Count, values.Distinct().Count());
    }

    [Fact]
    public async Task NotificationsCancelled_StopsTheWork_AndNoResponseFollows()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ConnectAsync(daemon);

        await client.SendAsync(Call(9, "chat", new JsonObject { ["prompt"] = "long", ["local_latency_ms"] = 60_000 }));
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 1);
        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = 9, ["reason"] = "user" } });
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.BusySlots == 0);

        await client.SendAsync(Request(10, "ping"));
        Assert.Equal(new JsonObject(), (await ResponseAsync(client, 10))["result"], JsonNode.DeepEquals);
        Assert.DoesNotContain(client.All, m => JsonNode.DeepEquals(m["id"], 9));
    }

    [Fact]
    public async Task AClientThatVanishes_HasItsCallsCancelledAtOnce_NotAfterTheExaiWsGrace()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "600" });
        var client = await ConnectAsync(daemon);
        await client.SendAsync(Call(1, "chat", new JsonObject { ["prompt"] = "long", ["local_latency_ms"] = 60_000 }));
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 1);

        client.Vanish();

        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.BusySlots == 0);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task BadMessages_GetTheirJsonRpcErrors_AndTheConnectionKeepsWorking()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ConnectAsync(daemon);

        async Task<JsonObject> ErrorFor(string raw)
        {
            await client.SendRawAsync(raw);
            var reply = await client.NextAsync();
            Assert.NotNull(reply["error"]);
            return reply;
        }

        var parse = await ErrorFor("not json");
        Assert.Equal((-32700, (JsonNode?)null), ((int)parse["error"]!["code"]!, parse["id"]));
        Assert.Equal(-32600, (int)(await ErrorFor("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]"""))["error"]!["code"]!);
        var version = await ErrorFor("""{"jsonrpc":"1.0","id":"v","method":"ping"}""");
        Assert.Equal((-32600, "v"), ((int)version["error"]!["code"]!, (string?)version["id"]));
        Assert.Equal(-32601, (int)(await ErrorFor("""{"jsonrpc":"2.0","id":2,"method":"completion/complete"}"""))["error"]!["code"]!);
        var unknownTool = await ErrorFor("""{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nosuch","arguments":{}}}""");
        Assert.Equal((-32602, 3), ((int)unknownTool["error"]!["code"]!, (int)unknownTool["id"]!));
        Assert.Contains("nosuch", (string?)unknownTool["error"]!["message"], StringComparison.Ordinal);
        Assert.Equal(-32602, (int)(await ErrorFor("""{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"chat","arguments":[1]}}"""))["error"]!["code"]!);
        Assert.Equal(-32602, (int)(await ErrorFor("""{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"arguments":{}}}"""))["error"]!["code"]!);
        Assert.Equal(-32600, (int)(await ErrorFor("""{"jsonrpc":"2.0","id":6}"""))["error"]!["code"]!);

        // Bad arguments are a tool error the model can read, not a protocol error.
        await client.SendRawAsync("""{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"chat","arguments":{}}}""");
        var invalid = (await ResponseAsync(client, 8))["result"]!;
        Assert.True((bool)invalid["isError"]!);
        Assert.Contains("prompt", (string?)invalid["content"]![0]!["text"], StringComparison.Ordinal);
        Assert.Equal("INVALID_ARGUMENTS", (string?)invalid["_meta"]!["exaifast/error"]!["code"]);

        await client.SendAsync(Request(9, "ping"));
        Assert.NotNull((await ResponseAsync(client, 9))["result"]);
    }

    [Fact]
    public async Task FiftyConcurrentCalls_OverOneConnection_AllSucceed_BeyondTheSessionLimitTheyWait()
    {
        await using var daemon = await Daemon.StartAsync(); // session limit 8, global 24: defaults
        await using var client = await ConnectAsync(daemon);

        for (int i = 0; i < 50; i++)
        {
            await client.SendAsync(Call(i, "chat", new JsonObject { ["prompt"] = $"fan-out {i}", ["local_latency_ms"] = 50 }));
        }

        for (int i = 0; i < 50; i++)
        {
            var result = (await ResponseAsync(client, i))["result"]!;
            Assert.False((bool)result["isError"]!, result.ToJsonString());
            Assert.Contains($"fan-out {i}", (string?)result["content"]![0]!["text"], StringComparison.Ordinal);
        }

        Assert.Equal(50, daemon.LocalModel.Requests);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.CallerWaiting == 0);
    }

    [Fact]
    public async Task ASessionThatFloodsPastItsQueue_IsRefusedAtOnce_WhileOtherSessionsAreServed()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "2", ["EXAIFAST_SESSION_QUEUE_DEPTH"] = "3" });
        await using var flooder = await ConnectAsync(daemon);
        await using var other = await ConnectAsync(daemon);
        for (int i = 1; i <= 5; i++)
        {
            await flooder.SendAsync(Call(i, "chat", new JsonObject { ["prompt"] = $"long {i}", ["local_latency_ms"] = 60_000 }));
        }

        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.CallerWaiting == 3 && daemon.Dispatcher.BusySlots == 2);
        await flooder.SendAsync(Call(6, "chat", new JsonObject { ["prompt"] = "one too many" }));
        var refused = (await ResponseAsync(flooder, 6))["result"]!;
        await other.SendAsync(Call(1, "chat", new JsonObject { ["prompt"] = "meanwhile" }));
        var served = (await ResponseAsync(other, 1))["result"]!;

        Assert.True((bool)refused["isError"]!);
        Assert.StartsWith("OVER_CAPACITY:", (string?)refused["content"]![0]!["text"], StringComparison.Ordinal);
        Assert.Contains("3 waiting", (string?)refused["content"]![0]!["text"], StringComparison.Ordinal);
        Assert.True((double)refused["_meta"]!["exaifast/error"]!["retry_after"]! > 0);
        Assert.False((bool)served["isError"]!);

        // The flooder leaves: its two running calls and three waiting ones all end, and the waiters never ran.
        flooder.Vanish();
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.CallerWaiting == 0 && daemon.Dispatcher.BusySlots == 0);
        Assert.Equal(3, daemon.LocalModel.Requests);
    }

    [Fact]
    public async Task AWaitingCall_CanBeCancelled_NoResponseFollows_AndTheNextOneGetsTheSlot()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "1" });
        await using var client = await ConnectAsync(daemon);
        await client.SendAsync(Call(1, "chat", new JsonObject { ["prompt"] = "long", ["local_latency_ms"] = 60_000 }));
        await client.SendAsync(Call(2, "chat", new JsonObject { ["prompt"] = "unwanted" }));
        await client.SendAsync(Call(3, "chat", new JsonObject { ["prompt"] = "wanted" }));
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.CallerWaiting == 2 && daemon.Dispatcher.BusySlots == 1);

        await client.SendAsync(Cancelled(2));
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.CallerWaiting == 1);
        await client.SendAsync(Cancelled(1));
        Assert.Contains("wanted", (string?)(await ResponseAsync(client, 3))["result"]!["content"]![0]!["text"], StringComparison.Ordinal);

        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0);
        await client.SendAsync(Request(4, "ping"));
        await ResponseAsync(client, 4); // after this, a response to 1 or 2 would have arrived
        Assert.DoesNotContain(client.All, m => JsonNode.DeepEquals(m["id"], 1) || JsonNode.DeepEquals(m["id"], 2));
        Assert.Equal(2, daemon.LocalModel.Requests); // 1 and 3; the cancelled waiter never ran
    }

    [Fact]
    public async Task CallsThatWaitAndTimeOut_AreToolErrors_AndLeaveNothingBehind()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "1", ["EXAI_WS_CALL_TIMEOUT_SECS"] = "0.5" });
        await using var client = await ConnectAsync(daemon);
        await client.SendAsync(Call(1, "chat", new JsonObject { ["prompt"] = "long", ["local_latency_ms"] = 60_000 }));
        await client.SendAsync(Call(2, "chat", new JsonObject { ["prompt"] = "behind it", ["local_latency_ms"] = 60_000 }));

        foreach (var id in new[] { 1, 2 })
        {
            var result = (await ResponseAsync(client, id))["result"]!;
            Assert.True((bool)result["isError"]!);
            Assert.Equal("TIMEOUT", (string?)result["_meta"]!["exaifast/error"]!["code"]);
        }

        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.CallerWaiting == 0 && daemon.Dispatcher.BusySlots == 0);
    }

    [Fact]
    public async Task WithNoSessionQueue_OverCapacity_IsAToolError_WithRetryAfter()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "1", ["EXAIFAST_SESSION_QUEUE_DEPTH"] = "0" });
        await using var client = await ConnectAsync(daemon);

        await client.SendAsync(Call(1, "chat", new JsonObject { ["prompt"] = "a", ["local_latency_ms"] = 60_000 }));
        await client.SendAsync(Call(2, "chat", new JsonObject { ["prompt"] = "b" }));
        var refused = (await ResponseAsync(client, 2))["result"]!;

        Assert.True((bool)refused["isError"]!);
        Assert.StartsWith("OVER_CAPACITY:", (string?)refused["content"]![0]!["text"], StringComparison.Ordinal);
        Assert.Equal("OVER_CAPACITY", (string?)refused["_meta"]!["exaifast/error"]!["code"]);
        Assert.True((double)refused["_meta"]!["exaifast/error"]!["retry_after"]! > 0);
    }

    [Fact]
    public async Task ADaemonWithAToken_ServesMcpOverWebSocket_OnlyWithIt_ByHeaderOrQuery_AndRotationCoversIt()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "s3cret-token" });

        // Without the token, or with a wrong one: 401 before the upgrade, saying how to present it and not echoing it.
        foreach (var uri in new[] { daemon.Uri, new Uri(daemon.Uri, "/?token=wrong") })
        {
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => ExaiWsClient.ConnectAsync(uri, hello: false, subprotocol: "mcp"));
            Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        }

        await Assert.ThrowsAsync<WebSocketException>(() => ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp", bearer: "wrong"));
        using (var raw = new System.Net.Sockets.TcpClient())
        {
            await raw.ConnectAsync(daemon.EndPoint, TestContext.Current.CancellationToken);
            var stream = raw.GetStream();
            await stream.WriteAsync("GET /?token=nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mcp\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
            string response = await new StreamReader(stream).ReadToEndAsync(TestContext.Current.CancellationToken);
            Assert.StartsWith("HTTP/1.1 401 ", response, StringComparison.Ordinal);
            Assert.Contains("WWW-Authenticate: Bearer", response, StringComparison.Ordinal);
            Assert.DoesNotContain("nope", response, StringComparison.Ordinal);
        }

        // With it, by header and by query (URL-encoded), the session works.
        await using (var byHeader = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp", bearer: "s3cret-token"))
        {
            await byHeader.SendAsync(Request(1, "ping"));
            Assert.NotNull((await ResponseAsync(byHeader, 1))["result"]);
        }

        await using (var byQuery = await ExaiWsClient.ConnectAsync(new Uri(daemon.Uri, "/?token=s3cret%2Dtoken"), hello: false, subprotocol: "mcp"))
        {
            await byQuery.SendAsync(Call(2, "chat", new JsonObject { ["prompt"] = "hi" }));
            Assert.False((bool)(await ResponseAsync(byQuery, 2))["result"]!["isError"]!);
        }

        // One guard for every door: a rotation over exai-ws applies to MCP's upgrades at once.
        await using (var exai = await ExaiWsClient.ConnectAsync(daemon.Uri, token: "s3cret-token"))
        {
            await exai.SendAsync(new JsonObject { ["op"] = "rotate_token", ["old"] = "s3cret-token", ["new"] = "fresh-token" });
            Assert.True((bool)(await exai.WaitForAsync(m => (string?)m["op"] == "rotate_token_res"))["ok"]!);
        }

        await Assert.ThrowsAsync<WebSocketException>(() => ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp", bearer: "s3cret-token"));
        await using var rotated = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp", bearer: "fresh-token");
        await rotated.SendAsync(Request(3, "ping"));
        Assert.NotNull((await ResponseAsync(rotated, 3))["result"]);
    }
}
