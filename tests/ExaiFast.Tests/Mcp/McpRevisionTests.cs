using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Mcp;

/// <summary>Every MCP revision docs/protocols.md promises is echoed by <c>initialize</c>, then served.</summary>
public class McpRevisionTests
{
    [Theory]
    [InlineData("2025-11-25")]
    [InlineData("2025-06-18")]
    [InlineData("2025-03-26")]
    [InlineData("2024-11-05")]
    public async Task Initialize_WithASupportedRevision_EchoesIt_AndTheSessionWorks(string revision)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");

        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "initialize",
            ["params"] = new JsonObject { ["protocolVersion"] = revision, ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "rev", ["version"] = "1" } },
        });
        var init = await client.WaitForAsync(m => (int?)m["id"] == 1);
        Assert.True(init["result"] is not null, $"initialize failed for {revision}: {init.ToJsonString()}");
        Assert.Equal(revision, (string?)init["result"]!["protocolVersion"]);

        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" });
        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "version", ["arguments"] = new JsonObject() } });
        var call = await client.WaitForAsync(m => (int?)m["id"] == 2);
        Assert.False((bool?)call["result"]?["isError"] ?? true, call.ToJsonString());
    }

    private static JsonObject Meta(string version = "2026-07-28") => new()
    {
        ["io.modelcontextprotocol/protocolVersion"] = version,
        ["io.modelcontextprotocol/clientCapabilities"] = new JsonObject(),
    };

    private static JsonObject Request(JsonNode id, string method, JsonObject? parameters = null, JsonObject? meta = null)
    {
        parameters ??= [];
        if (meta is not null)
        {
            parameters["_meta"] = meta;
        }

        return new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters };
    }

    [Fact]
    public async Task ServerDiscover_ListsOnly2026_AndModernRequests_AreServedOnWhatTheyCarry_BesideALegacySession()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");

        await client.SendAsync(Request("d", "server/discover", meta: Meta()));
        var discovered = (await client.WaitForAsync(m => (string?)m["id"] == "d"))["result"]!;
        Assert.Equal("complete", (string?)discovered["resultType"]);
        Assert.Equal(["2026-07-28"], discovered["supportedVersions"]!.AsArray().Select(v => (string)v!)); // per request: modern only
        Assert.NotNull(discovered["capabilities"]!["tools"]);
        Assert.Equal("exaifast", (string?)discovered["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]);

        await client.SendAsync(Request(1, "tools/list", meta: Meta()));
        var list = (await client.WaitForAsync(m => (int?)m["id"] == 1))["result"]!;
        Assert.Equal("complete", (string?)list["resultType"]);
        Assert.Equal(300_000, (int)list["ttlMs"]!);
        Assert.Equal("public", (string?)list["cacheScope"]);
        Assert.Equal("exaifast", (string?)list["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]);

        await client.SendAsync(Request(2, "tools/call", new JsonObject { ["name"] = "version", ["arguments"] = new JsonObject() }, Meta()));
        var call = (await client.WaitForAsync(m => (int?)m["id"] == 2))["result"]!;
        Assert.Equal("complete", (string?)call["resultType"]);
        Assert.False((bool)call["isError"]!);
        Assert.NotNull(call["_meta"]!["io.modelcontextprotocol/serverInfo"]);

        // The templates are static: cacheable by anybody; the thread list is the caller's and changes: not to be kept.
        await client.SendAsync(Request(3, "resources/templates/list", meta: Meta()));
        var templates = (await client.WaitForAsync(m => (int?)m["id"] == 3))["result"]!;
        Assert.Equal("public", (string?)templates["cacheScope"]);
        await client.SendAsync(Request(4, "resources/list", meta: Meta()));
        var resources = (await client.WaitForAsync(m => (int?)m["id"] == 4))["result"]!;
        Assert.Equal("complete", (string?)resources["resultType"]);
        Assert.Equal(0, (int)resources["ttlMs"]!);
        Assert.Equal("private", (string?)resources["cacheScope"]);

        // A thread that is not there: -32602 for a modern request (2026-07-28), -32002 for a legacy one.
        var missing = new JsonObject { ["uri"] = "exaifast://threads/" + Guid.NewGuid().ToString("D") };
        await client.SendAsync(Request(5, "resources/read", missing.DeepClone().AsObject(), Meta()));
        Assert.Equal(-32602, (int)(await client.WaitForAsync(m => (int?)m["id"] == 5))["error"]!["code"]!);
        await client.SendAsync(Request(6, "resources/read", missing.DeepClone().AsObject()));
        Assert.Equal(-32002, (int)(await client.WaitForAsync(m => (int?)m["id"] == 6))["error"]!["code"]!);
        await client.SendAsync(Request(61, "resources/read", new JsonObject { ["uri"] = "test://elsewhere" }, Meta()));
        var foreign = (await client.WaitForAsync(m => (int?)m["id"] == 61))["error"]!;
        Assert.Equal(-32602, (int)foreign["code"]!);
        Assert.Equal("test://elsewhere", (string?)foreign["data"]!["uri"]); // 2026-07-28: not found names the URI in data

        // A legacy session on the same connection: initialize still negotiates, and its answers have no modern field.
        await client.SendAsync(Request(7, "initialize", new JsonObject { ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "rev", ["version"] = "1" } }));
        Assert.Equal("2025-11-25", (string?)(await client.WaitForAsync(m => (int?)m["id"] == 7))["result"]!["protocolVersion"]);
        await client.SendAsync(Request(8, "tools/list"));
        var legacyList = (await client.WaitForAsync(m => (int?)m["id"] == 8))["result"]!;
        Assert.Null(legacyList["resultType"]);
        Assert.Null(legacyList["ttlMs"]);
        Assert.Null(legacyList["_meta"]);

        // ... and a modern request after it is still served as modern.
        await client.SendAsync(Request(9, "tools/list", meta: Meta()));
        Assert.Equal("complete", (string?)(await client.WaitForAsync(m => (int?)m["id"] == 9))["result"]!["resultType"]);
    }

    [Fact]
    public async Task ModernRequests_MissingTheirMeta_OrNamingAnUnservedRevision_OrAMethodItLacks_AreRefused()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");

        async Task<JsonNode> ErrorOfAsync(JsonObject request)
        {
            string id = (string)request["id"]!;
            await client.SendAsync(request);
            var answer = await client.WaitForAsync(m => (string?)m["id"] == id);
            Assert.Null(answer["result"]);
            return answer["error"]!;
        }

        // server/discover is a modern request: without _meta it cannot say which revision it wants.
        Assert.Equal(-32602, (int)(await ErrorOfAsync(Request("a", "server/discover")))["code"]!);
        var noVersion = Meta();
        noVersion.Remove("io.modelcontextprotocol/protocolVersion");
        Assert.Equal(-32602, (int)(await ErrorOfAsync(Request("b", "tools/list", meta: noVersion)))["code"]!);
        var noCapabilities = Meta();
        noCapabilities.Remove("io.modelcontextprotocol/clientCapabilities");
        Assert.Equal(-32602, (int)(await ErrorOfAsync(Request("c", "tools/list", meta: noCapabilities)))["code"]!);

        var unsupported = await ErrorOfAsync(Request("d", "tools/list", meta: Meta("2099-01-01")));
        Assert.Equal(-32022, (int)unsupported["code"]!);
        Assert.Equal(["2026-07-28"], unsupported["data"]!["supported"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("2099-01-01", (string?)unsupported["data"]!["requested"]);
        var legacyPerRequest = await ErrorOfAsync(Request("e", "tools/list", meta: Meta("2025-11-25")));
        Assert.Equal(-32022, (int)legacyPerRequest["code"]!);
        Assert.Contains("initialize", (string?)legacyPerRequest["message"], StringComparison.Ordinal);

        foreach (string method in new[] { "initialize", "ping", "logging/setLevel", "subscriptions/listen" })
        {
            Assert.Equal(-32601, (int)(await ErrorOfAsync(Request("m-" + method, method, meta: Meta())))["code"]!);
        }
    }

    [Fact]
    public async Task ModernCalls_AreEachADispatcherSessionOfTheirOwn_AndTheConnectionStillCancelsThemWhenItCloses()
    {
        // One call per session at a time: legacy calls of one connection queue behind each other; modern ones have no
        // session (2026-07-28), so only the global limits apply to them.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "1", ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "8" });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        for (int i = 1; i <= 3; i++)
        {
            await client.SendAsync(Request(i, "tools/call", new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = $"long {i}", ["local_latency_ms"] = 60_000 } }, Meta()));
        }

        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 3);
        Assert.Equal(0, daemon.Dispatcher.CallerWaiting);

        client.Vanish();
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 3 && daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.BusySlots == 0);
    }
}
