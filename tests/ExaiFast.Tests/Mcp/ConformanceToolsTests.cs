using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The conformance suite's test tools (<c>EXAIFAST_CONFORMANCE_TOOLS</c>) through the real composition root: each
/// answers with the values the suite checks, over MCP WebSocket, and rich results keep their exai-ws shape.
/// </summary>
public class ConformanceToolsTests
{
    private const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

    private static readonly string[] TestTools =
    [
        "failing_job", "greet", "json_schema_2020_12_tool", "slow_compute", "test_audio_content", "test_embedded_resource",
        "test_error_handling", "test_image_content", "test_multiple_content_types", "test_simple_text", "test_tool_with_progress",
    ];

    private static Task<Daemon> StartAsync() => Daemon.StartAsync(new() { ["EXAIFAST_CONFORMANCE_TOOLS"] = "true" });

    private static Task<ExaiWsClient> McpAsync(Daemon daemon) => ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");

    private static JsonObject Call(JsonNode id, string tool, JsonObject? arguments, JsonNode? progressToken = null)
    {
        var parameters = new JsonObject { ["name"] = tool };
        if (arguments is not null)
        {
            parameters["arguments"] = arguments; // the suite calls test_simple_text with no arguments at all
        }

        if (progressToken is not null)
        {
            parameters["_meta"] = new JsonObject { ["progressToken"] = progressToken };
        }

        return new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call", ["params"] = parameters };
    }

    private static async Task<JsonNode> ResultAsync(ExaiWsClient client, JsonNode id) =>
        (await client.WaitForAsync(m => m["method"] is null && JsonNode.DeepEquals(m["id"], id)))["result"]
        ?? throw new InvalidOperationException("a JSON-RPC error, not a result");

    private static async Task<JsonNode> CallAsync(ExaiWsClient client, string tool, JsonObject? arguments = null)
    {
        string id = $"call-{tool}";
        await client.SendAsync(Call(id, tool, arguments ?? new JsonObject()));
        return await ResultAsync(client, id);
    }

    private static string[] ToolNames(JsonNode list) => list["tools"]!.AsArray().Select(t => (string)t!["name"]!).ToArray();

    [Fact]
    public async Task WithoutTheSetting_NoTestToolIsListed_OrCallable()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await McpAsync(daemon);
        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/list" });
        Assert.Equal(ExpectedTools.Names, ToolNames(await ResultAsync(client, 1)));

        await client.SendAsync(Call(2, "test_simple_text", null));
        var error = await client.WaitForAsync(m => JsonNode.DeepEquals(m["id"], 2));
        Assert.Equal(-32602, (int)error["error"]!["code"]!);
    }

    [Fact]
    public async Task WithTheSetting_EveryTestToolIsListed_AndTheJsonSchema202012ToolKeepsItsSchemaVerbatim()
    {
        await using var daemon = await StartAsync();
        await using var client = await McpAsync(daemon);
        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/list" });
        var list = await ResultAsync(client, 1);
        Assert.Equal([.. TestTools.Concat(ExpectedTools.Names).Order(StringComparer.Ordinal)], ToolNames(list)); // catalog order
        Assert.All(list["tools"]!.AsArray(), t => Assert.False(string.IsNullOrEmpty((string?)t!["description"])));

        var schema = list["tools"]!.AsArray().Single(t => (string?)t!["name"] == "json_schema_2020_12_tool")!["inputSchema"];
        var expected = JsonNode.Parse("""
            {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
             "$defs":{"address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},
             "properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"}},
             "additionalProperties":false}
            """);
        Assert.True(JsonNode.DeepEquals(expected, schema), schema!.ToJsonString());
    }

    [Fact]
    public async Task SimpleText_WithNoArgumentsAtAll_IsOneTextItem()
    {
        await using var daemon = await StartAsync();
        await using var client = await McpAsync(daemon);
        await client.SendAsync(Call(1, "test_simple_text", null));
        var result = await ResultAsync(client, 1);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"type":"text","text":"This is a simple text response for testing."}]"""), result["content"]));
        Assert.False((bool)result["isError"]!);
    }

    [Fact]
    public async Task ImageAudioAndEmbeddedResource_AreTheirContentItems()
    {
        await using var daemon = await StartAsync();
        await using var client = await McpAsync(daemon);

        var image = (await CallAsync(client, "test_image_content"))["content"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""[{"type":"image","data":"{{Png}}","mimeType":"image/png"}]"""), image), image.ToJsonString());

        var audio = (await CallAsync(client, "test_audio_content"))["content"]!;
        Assert.Equal("audio", (string?)audio[0]!["type"]);
        Assert.Equal("audio/wav", (string?)audio[0]!["mimeType"]);
        Assert.Equal("UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=", (string?)audio[0]!["data"]);

        var resource = (await CallAsync(client, "test_embedded_resource"))["content"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            [{"type":"resource","resource":{"uri":"test://embedded-resource","mimeType":"text/plain","text":"This is an embedded resource content."}}]
            """), resource), resource.ToJsonString());
    }

    [Fact]
    public async Task MultipleContentTypes_AreTextImageAndResource_InOrder()
    {
        await using var daemon = await StartAsync();
        await using var client = await McpAsync(daemon);
        var content = (await CallAsync(client, "test_multiple_content_types"))["content"]!.AsArray();
        Assert.Equal(["text", "image", "resource"], content.Select(c => (string)c!["type"]!).ToArray());
        Assert.Equal("Multiple content types test:", (string?)content[0]!["text"]);
        Assert.Equal("""{"test":"data","value":123}""", (string?)content[2]!["resource"]!["text"]);
        Assert.Equal("application/json", (string?)content[2]!["resource"]!["mimeType"]);
    }

    [Fact]
    public async Task ErrorHandling_IsAToolError_NotAJsonRpcError()
    {
        await using var daemon = await StartAsync();
        await using var client = await McpAsync(daemon);
        var result = await CallAsync(client, "test_error_handling");
        Assert.True((bool)result["isError"]!);
        Assert.Equal("PROVIDER_ERROR: This tool intentionally returns an error for testing", (string?)result["content"]![0]!["text"]);
    }

    [Fact]
    public async Task Progress_Reports_0_50_100_Of100_AllBeforeTheResult()
    {
        await using var daemon = await StartAsync();
        await using var client = await McpAsync(daemon);
        await client.SendAsync(Call(1, "test_tool_with_progress", new JsonObject(), progressToken: "progress-test-1"));

        var progress = new List<JsonNode>();
        while (true)
        {
            var message = await client.NextAsync();
            if ((string?)message["method"] == "notifications/progress")
            {
                progress.Add(message["params"]!);
                continue;
            }

            Assert.Equal(1, (int)message["id"]!); // the response comes after every notification
            Assert.False((bool)message["result"]!["isError"]!);
            break;
        }

        Assert.Equal([0.0, 50.0, 100.0], progress.Select(p => (double)p["progress"]!).ToArray());
        Assert.All(progress, p => Assert.Equal(100, (double)p["total"]!));
        Assert.All(progress, p => Assert.Equal("progress-test-1", (string?)p["progressToken"]));
    }

    [Fact]
    public async Task JsonSchema202012Tool_RefusesWhatAdditionalPropertiesFalseRefuses()
    {
        await using var daemon = await StartAsync();
        await using var client = await McpAsync(daemon);
        var ok = await CallAsync(client, "json_schema_2020_12_tool", new JsonObject { ["name"] = "n", ["address"] = new JsonObject { ["city"] = "c" } });
        Assert.False((bool)ok["isError"]!);

        var extra = await CallAsync(client, "json_schema_2020_12_tool", new JsonObject { ["name"] = "n", ["stream"] = true });
        Assert.True((bool)extra["isError"]!);
        Assert.StartsWith("INVALID_ARGUMENTS: 'stream' is not allowed", (string?)extra["content"]![0]!["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverExaiWs_RichOutputs_KeepTheirShape_AndProgressFramesCarryTheMeasure()
    {
        await using var daemon = await StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await client.CallAsync("mixed", "test_multiple_content_types");
        var mixed = await client.ResultAsync("mixed");
        Assert.True((bool)mixed["ok"]!);
        Assert.Equal(["text", "image", "resource"], mixed["outputs"]!.AsArray().Select(o => (string)o!["type"]!).ToArray());
        Assert.Equal("Multiple content types test:", (string?)mixed["text"]); // the text items only

        await client.CallAsync("image", "test_image_content");
        var image = await client.ResultAsync("image");
        Assert.Equal("", (string?)image["text"]); // no text item: empty, still present for clients that read only text
        Assert.Equal(Png, (string?)image["outputs"]![0]!["data"]);

        await client.CallAsync("progress", "test_tool_with_progress");
        await client.ResultAsync("progress");
        var measured = client.All.Where(f => (string?)f["op"] == "progress" && (string?)f["request_id"] == "progress" && f["progress"] is not null).ToList();
        Assert.Equal([0.0, 50.0, 100.0], measured.Select(f => (double)f["progress"]!).ToArray());
        Assert.All(measured, f => Assert.Equal(100, (double)f["total"]!));

        await client.CallAsync("error", "test_error_handling");
        var error = await client.ResultAsync("error");
        Assert.False((bool)error["ok"]!);
        Assert.Equal("PROVIDER_ERROR", (string?)error["error"]!["code"]);
    }
}
