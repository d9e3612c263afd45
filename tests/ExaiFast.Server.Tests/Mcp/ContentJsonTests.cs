using System.Text.Json.Nodes;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using ExaiFast.Server.ExaiWs;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>A result's items as MCP <c>content</c> and exai-ws <c>outputs</c>: the same list, every kind written.</summary>
public class ContentJsonTests
{
    private const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

    private static readonly ContentItem[] Items =
    [
        ContentItem.FromText("one"),
        ContentItem.FromImage(Png, "image/png"),
        ContentItem.FromAudio("UklGRg==", "audio/wav"),
        ContentItem.FromResourceText("test://text", "text/plain", "inside"),
        ContentItem.FromResourceBlob("test://blob", "application/octet-stream", "AAEC"),
        ContentItem.FromText("two"),
    ];

    private static readonly string ExpectedItems = """
        [{"type":"text","text":"one"},
         {"type":"image","data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==","mimeType":"image/png"},
         {"type":"audio","data":"UklGRg==","mimeType":"audio/wav"},
         {"type":"resource","resource":{"uri":"test://text","mimeType":"text/plain","text":"inside"}},
         {"type":"resource","resource":{"uri":"test://blob","mimeType":"application/octet-stream","blob":"AAEC"}},
         {"type":"text","text":"two"}]
        """;

    private static JsonObject Parse(PooledBuffer buffer)
    {
        try
        {
            return JsonNode.Parse(buffer.Span)!.AsObject();
        }
        finally
        {
            buffer.Return();
        }
    }

    private static CallResult Rich()
    {
        var output = ToolOutput.WithContent(Items);
        return new CallResult { Text = output.Text, Content = output.Content };
    }

    [Fact]
    public void McpToolResult_WritesEveryItem_InOrder()
    {
        var result = Parse(McpMessages.ToolResult("3", Rich(), McpDialect.Legacy("2025-11-25")))["result"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ExpectedItems), result["content"]), result.ToJsonString());
        Assert.False((bool)result["isError"]!);
    }

    [Fact]
    public void ExaiWsResult_OutputsAreTheSameItems_AndTextIsTheTextItemsJoined()
    {
        var frame = Parse(ExaiWsFrames.Result("r1", Rich()));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ExpectedItems), frame["outputs"]), frame.ToJsonString());
        Assert.Equal("one\ntwo", (string?)frame["text"]);
    }

    [Fact]
    public void ATextResult_IsOneTextItem_InBoth()
    {
        var result = new CallResult { Text = "just text" };
        var one = JsonNode.Parse("""[{"type":"text","text":"just text"}]""");
        Assert.True(JsonNode.DeepEquals(one, Parse(McpMessages.ToolResult("1", result, McpDialect.Legacy("2024-11-05")))["result"]!["content"]));
        var frame = Parse(ExaiWsFrames.Result("r", result));
        Assert.True(JsonNode.DeepEquals(one, frame["outputs"]));
        Assert.Equal("just text", (string?)frame["text"]);
    }

    [Fact]
    public void AFailure_IsOneTextItem_WithIsError_EvenIfContentWasSet()
    {
        var result = Parse(McpMessages.ToolResult("1", CallResult.Failed(ErrorCodes.ProviderError, "nope"), McpDialect.Legacy("2025-11-25")))["result"]!;
        Assert.True((bool)result["isError"]!);
        Assert.Equal("PROVIDER_ERROR: nope", (string?)result["content"]![0]!["text"]);
    }

    [Fact]
    public void McpProgress_CarriesTotal_OnlyWhenGiven()
    {
        var withTotal = Parse(McpMessages.Progress("\"t\"", 50, 100, null))["params"]!;
        Assert.Equal(50, (double)withTotal["progress"]!);
        Assert.Equal(100, (double)withTotal["total"]!);
        var without = Parse(McpMessages.Progress("7", 2, null, "working"))["params"]!.AsObject();
        Assert.False(without.ContainsKey("total"));
        Assert.Equal("working", (string?)without["message"]);
        Assert.Equal(7, (int)without["progressToken"]!);
    }

    [Fact]
    public void ContentItems_RefuseWhatAClientCouldNotRead()
    {
        Assert.Throws<ArgumentException>(() => ContentItem.FromImage("not base64!", "image/png"));
        Assert.Throws<ArgumentException>(() => ContentItem.FromAudio("UklGRg==", "wav"));
        Assert.Throws<ArgumentException>(() => ContentItem.FromResourceText("relative/uri", "text/plain", "x"));
        Assert.Equal(string.Empty, ToolOutput.WithContent([ContentItem.FromImage(Png, "image/png")]).Text);
    }
}
