using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExaiFast.Core.Calls;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>
/// The frames of MCP's two eras side by side: a legacy result exactly as it always was, the modern one with
/// <c>resultType</c>, the server's identity in <c>_meta</c> and caching advice; and the pieces that read a modern
/// request (<see cref="McpRequestMeta"/>, <see cref="McpHttpEnvelope"/>).
/// </summary>
public class McpModernFramesTests
{
    private static readonly McpDialect Legacy = McpDialect.Legacy("2024-11-05");

    private static string Text(PooledBuffer buffer)
    {
        try
        {
            return Encoding.UTF8.GetString(buffer.Span);
        }
        finally
        {
            buffer.Return();
        }
    }

    private static JsonObject Parse(PooledBuffer buffer) => JsonNode.Parse(Text(buffer))!.AsObject();

    [Fact]
    public void ALegacyToolResult_IsByteForByteWhatItWas_AndTheModernOne_AddsOnlyTheModernFields()
    {
        var failed = CallResult.Failed(ErrorCodes.ProviderError, "nope");
        Assert.Equal(
            """{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"PROVIDER_ERROR: nope"}],"isError":true,"_meta":{"exaifast/error":{"code":"PROVIDER_ERROR"}}}}""".Replace("PROVIDER_ERROR", ErrorCodes.ProviderError, StringComparison.Ordinal),
            Text(McpMessages.ToolResult("1", failed, Legacy)));

        var modern = Parse(McpMessages.ToolResult("1", failed, new McpDialect(ToolShape.Plain, IsModern: true)))["result"]!.AsObject();
        Assert.Equal("complete", (string?)modern["resultType"]);
        var meta = modern["_meta"]!.AsObject();
        Assert.Equal("exaifast", (string?)meta["io.modelcontextprotocol/serverInfo"]!["name"]);
        Assert.Equal(ServerInfo.Version, (string?)meta["io.modelcontextprotocol/serverInfo"]!["version"]);
        Assert.Equal(ErrorCodes.ProviderError, (string?)meta["exaifast/error"]!["code"]); // one _meta holds both
        modern.Remove("resultType");
        meta.Remove("io.modelcontextprotocol/serverInfo");
        Assert.True(JsonNode.DeepEquals(Parse(McpMessages.ToolResult("1", failed, Legacy))["result"], modern));

        // A plain success has no _meta at all in the legacy era; the modern one carries just the server.
        var ok = new CallResult { Text = "fine" };
        Assert.Equal("""{"jsonrpc":"2.0","id":"a","result":{"content":[{"type":"text","text":"fine"}],"isError":false}}""",
            Text(McpMessages.ToolResult("\"a\"", ok, Legacy)));
        var modernOk = Parse(McpMessages.ToolResult("\"a\"", ok, McpDialect.Modern))["result"]!;
        Assert.Equal(["io.modelcontextprotocol/serverInfo"], modernOk["_meta"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void ToolLists_AreCacheableOnlyForModernClients_ForAsLongAsTheirSourceSays()
    {
        var tools = JsonDocument.Parse("""[{"name":"t","inputSchema":{"type":"object"}}]""").RootElement;
        Assert.Equal("""{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"t","inputSchema":{"type":"object"}}]}}""",
            Text(McpMessages.ToolsList("1", tools, Legacy, McpCache.Relayed)));

        var relayed = Parse(McpMessages.ToolsList("1", tools, McpDialect.Modern, McpCache.Relayed))["result"]!;
        Assert.Equal("complete", (string?)relayed["resultType"]);
        Assert.Equal(60_000, (int)relayed["ttlMs"]!);
        Assert.Equal("public", (string?)relayed["cacheScope"]);
        Assert.NotNull(relayed["_meta"]!["io.modelcontextprotocol/serverInfo"]);

        var own = Parse(McpMessages.ToolsList("1", new TestCatalog(), McpDialect.Modern))["result"]!;
        Assert.Equal(300_000, (int)own["ttlMs"]!);
        var legacyOwn = Parse(McpMessages.ToolsList("1", new TestCatalog(), Legacy))["result"]!.AsObject();
        Assert.Equal(["tools"], legacyOwn.Select(p => p.Key));
    }

    [Fact]
    public void TheUnsupportedVersionError_ListsTheModernRevisions_AndEchoesWhatWasAsked()
    {
        var error = Parse(McpMessages.UnsupportedVersion("7", "1999-01-01", "no"));
        Assert.Equal(7, (int)error["id"]!);
        Assert.Equal(-32022, (int)error["error"]!["code"]!);
        Assert.Equal(["2026-07-28"], error["error"]!["data"]!["supported"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("1999-01-01", (string?)error["error"]!["data"]!["requested"]);
        Assert.Null(Parse(McpMessages.UnsupportedVersion(null, "x", "no"))["id"]); // no readable id: null, as JSON-RPC says
    }

    [Theory]
    [InlineData("""{}""", false, null, false)]
    [InlineData("""{"_meta":{"progressToken":"p"}}""", false, null, false)]
    [InlineData("""{"_meta":"text"}""", false, null, false)]
    [InlineData("""{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}""", true, "2026-07-28", true)]
    [InlineData("""{"_meta":{"io.modelcontextprotocol/protocolVersion":7,"io.modelcontextprotocol/clientCapabilities":{}}}""", true, null, true)]
    [InlineData("""{"_meta":{"io.modelcontextprotocol/protocolVersion":"","io.modelcontextprotocol/clientCapabilities":[]}}""", true, null, false)]
    [InlineData("""{"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}}""", true, null, true)]
    public void RequestMeta_TellsAModernRequest_ByEitherReservedKey(string parameters, bool modern, string? version, bool capabilities)
    {
        var meta = McpRequestMeta.Read(JsonDocument.Parse(parameters).RootElement);
        Assert.Equal(modern, meta.IsModern);
        Assert.Equal(version, meta.ProtocolVersion);
        Assert.Equal(capabilities, meta.ClientCapabilitiesAreObject);
    }

    [Theory]
    [InlineData("greet", "greet")]
    [InlineData("=?base64?Z3JlZXQ=?=", "greet")]
    [InlineData("=?base64?w6k=?=", "é")]
    [InlineData("=?base64??=", "")]
    [InlineData("=?BASE64?Z3JlZXQ=?=", "=?BASE64?Z3JlZXQ=?=")] // the sentinel is lowercase only: otherwise a plain value
    [InlineData("=?base64?not base64?=", null)]
    [InlineData("=?base64?/w==?=", null)] // base64, but of a byte that is no UTF-8
    public void AHeaderValue_StandsForItself_OrForTheUtf8ItsBase64Wrapper_Encodes(string header, string? value)
    {
        Assert.Equal(value, McpHttpEnvelope.DecodeValue(header));
    }

    [Fact]
    public void AHeaderValue_IsTrimmedOfSpacesAndTabs_AndMayHoldOnlyVisibleAscii()
    {
        Assert.Equal("tools/list", McpHttpEnvelope.TrimValue(" \ttools/list\t "));
        Assert.True(McpHttpEnvelope.IsValidValue("a b\tc~!"));
        Assert.False(McpHttpEnvelope.IsValidValue("outil-é"));
        Assert.False(McpHttpEnvelope.IsValidValue("a\nb"));
    }

    [Theory]
    [InlineData("2026-07-28", true, false, true)]
    [InlineData("2025-11-25", false, true, false)]
    [InlineData("2024-11-05", false, true, false)]
    [InlineData("2027-01-01", false, false, true)]
    [InlineData("v999.0.0", false, false, true)]
    [InlineData("1999-01-01", false, false, false)]
    public void Revisions_AreSortedIntoTheirEra(string version, bool modern, bool legacy, bool beyondLegacy)
    {
        Assert.Equal(modern, McpRevisions.IsModern(version));
        Assert.Equal(legacy, McpRevisions.IsLegacy(version));
        Assert.Equal(beyondLegacy, McpRevisions.IsBeyondLegacy(version));
    }
}
