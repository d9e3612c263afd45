using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>Builds every JSON-RPC 2.0 message the daemon sends to an MCP client.</summary>
internal static class McpMessages
{
    /// <summary>The newest MCP revision this daemon speaks; offered when the client asks for one it does not know.</summary>
    public const string LatestProtocolVersion = "2025-11-25";

    /// <summary>Revisions whose <c>initialize</c>, <c>tools/list</c> and <c>tools/call</c> this daemon answers alike.</summary>
    public static readonly string[] ProtocolVersions = [LatestProtocolVersion, "2025-06-18", "2025-03-26", "2024-11-05"];

    /// <summary>The version to agree on: the client's when we speak it, else our newest (the client may then disconnect).</summary>
    public static string Negotiate(string? asked) =>
        asked is not null && Array.IndexOf(ProtocolVersions, asked) >= 0 ? asked : LatestProtocolVersion;

    // JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object).
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>Streamable HTTP: the <c>Mcp-Session-Id</c> names no live session (the code the official SDKs use).</summary>
    public const int SessionNotFound = -32001;

    public static PooledBuffer Error(string? rawId, int code, string message) =>
        JsonFrame.Build((rawId, code, message), static (json, in s) =>
        {
            json.WriteString("jsonrpc"u8, "2.0");
            WriteId(json, s.rawId);
            json.WriteStartObject("error"u8);
            json.WriteNumber("code"u8, s.code);
            json.WriteString("message"u8, s.message);
            json.WriteEndObject();
        });

    public static PooledBuffer EmptyResult(string rawId) =>
        JsonFrame.Build(rawId, static (json, in id) =>
        {
            json.WriteString("jsonrpc"u8, "2.0");
            WriteId(json, id);
            json.WriteStartObject("result"u8);
            json.WriteEndObject();
        });

    public static PooledBuffer Initialized(string rawId, string protocolVersion, string serverVersion) =>
        JsonFrame.Build((rawId, protocolVersion, serverVersion), static (json, in s) =>
        {
            json.WriteString("jsonrpc"u8, "2.0");
            WriteId(json, s.rawId);
            json.WriteStartObject("result"u8);
            json.WriteString("protocolVersion"u8, s.protocolVersion);
            WriteCapabilities(json);
            json.WriteStartObject("serverInfo"u8);
            json.WriteString("name"u8, "exaifast");
            json.WriteString("version"u8, s.serverVersion);
            json.WriteEndObject();
            json.WriteEndObject();
        });

    /// <summary>
    /// The answer to <c>server/discover</c> (revision 2026-07-28's first message): the revisions this server speaks,
    /// all of them <c>initialize</c>-era, so that a client of both eras falls back to <c>initialize</c> with one of them.
    /// </summary>
    public static PooledBuffer Discovered(string rawId, string serverVersion) =>
        JsonFrame.Build((rawId, serverVersion), static (json, in s) =>
        {
            json.WriteString("jsonrpc"u8, "2.0");
            WriteId(json, s.rawId);
            json.WriteStartObject("result"u8);
            json.WriteString("resultType"u8, "complete");
            json.WriteStartArray("supportedVersions"u8);
            foreach (string version in ProtocolVersions)
            {
                json.WriteStringValue(version);
            }

            json.WriteEndArray();
            WriteCapabilities(json);
            json.WriteNumber("ttlMs"u8, 3_600_000);
            json.WriteString("cacheScope"u8, "public");
            json.WriteStartObject("_meta"u8);
            json.WriteStartObject("io.modelcontextprotocol/serverInfo"u8);
            json.WriteString("name"u8, "exaifast");
            json.WriteString("version"u8, s.serverVersion);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        });

    public static PooledBuffer ToolsList(string rawId, IToolCatalog catalog, ToolShape shape) =>
        JsonFrame.Build((rawId, catalog, shape), static (json, in s) =>
        {
            json.WriteString("jsonrpc"u8, "2.0");
            WriteId(json, s.rawId);
            json.WriteStartObject("result"u8);
            ToolListJson.Write(json, s.catalog, s.shape);
            json.WriteEndObject();
        });

    /// <summary>A <c>tools/list</c> result around a <c>tools</c> array that is already MCP's shape (the daemon's <c>list_tools_res</c>).</summary>
    public static PooledBuffer ToolsList(string rawId, JsonElement tools) =>
        JsonFrame.Build((rawId, tools), static (json, in s) =>
        {
            json.WriteString("jsonrpc"u8, "2.0");
            WriteId(json, s.rawId);
            json.WriteStartObject("result"u8);
            json.WritePropertyName("tools"u8);
            s.tools.WriteTo(json);
            json.WriteEndObject();
        });

    /// <summary>
    /// A call's end as a <c>tools/call</c> result. A failed call (bad arguments, timeout, capacity, provider) is a
    /// tool error — <c>isError: true</c> with the code and message as text — so the model sees it and can react; the
    /// code is also in <c>_meta.exaifast/error</c> for programs.
    /// </summary>
    /// <remarks>With <paramref name="cut"/> the answer's text is the cut one, and 2025-06-18 on a <c>resource_link</c>
    /// to the thread holding the whole answer follows it.</remarks>
    public static PooledBuffer ToolResult(string rawId, CallResult result, ToolShape shape, OutputCut? cut = null) =>
        JsonFrame.Build((rawId, result, shape, cut), static (json, in s) =>
        {
            json.WriteString("jsonrpc"u8, "2.0");
            WriteId(json, s.rawId);
            json.WriteStartObject("result"u8);
            if (s.result.Error is { } error)
            {
                json.WriteStartArray("content"u8);
                ContentJson.WriteText(json, error.RetryAfterSeconds is { } retry
                    ? $"{error.Code}: {error.Message} (retry after {retry:0.###} s)"
                    : $"{error.Code}: {error.Message}");
                json.WriteEndArray();
            }
            else if (s.cut is { } cut)
            {
                json.WriteStartArray("content"u8);
                ContentJson.WriteText(json, cut.Text);
                if (cut.Thread is { } link && s.shape == ToolShape.Structured)
                {
                    // resource_link came with 2025-06-18; earlier revisions read the URI in the notice.
                    json.WriteStartObject();
                    json.WriteString("type"u8, "resource_link"u8);
                    json.WriteString("uri"u8, ThreadResources.UriOf(link));
                    json.WriteString("name"u8, $"thread-{link}");
                    json.WriteString("title"u8, "The whole answer (conversation thread)");
                    json.WriteString("description"u8, "The conversation thread whose newest turn holds this answer uncut");
                    json.WriteString("mimeType"u8, ThreadResources.MimeType);
                    json.WriteEndObject();
                }

                if (s.result.ContinuationId is { } continuation)
                {
                    ContentJson.WriteText(json, ContentJson.ContinuationOffer(continuation));
                }

                json.WriteEndArray();
            }
            else
            {
                ContentJson.Write(json, "content"u8, s.result, offerContinuation: true);
            }

            json.WriteBoolean("isError"u8, s.result.Error is not null);
            if (s.shape == ToolShape.Structured)
            {
                StructuredContentJson.Write(json, s.result, s.cut); // beside the content, which stays what the model reads
            }

            if (s.result.ContinuationId is { } thread)
            {
                // At the top level, as exai-ws has it: a program continues the conversation without parsing the text.
                json.WriteString("continuation_id"u8, thread);
            }

            if (s.result.Error is { } e)
            {
                json.WriteStartObject("_meta"u8);
                json.WriteStartObject("exaifast/error"u8);
                json.WriteString("code"u8, e.Code);
                if (e.RetryAfterSeconds is { } r)
                {
                    json.WriteNumber("retry_after"u8, r);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }
            else if (s.result.Provider is not null)
            {
                // Which model answered and why (auto routing, fallbacks), for programs; the content stays the answer.
                json.WriteStartObject("_meta"u8);
                json.WriteStartObject("exaifast/model"u8);
                json.WriteString("provider"u8, s.result.Provider);
                json.WriteString("model"u8, s.result.Model);
                if (s.result.Route is not null)
                {
                    json.WriteString("route"u8, s.result.Route);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        });

    /// <summary>A <c>notifications/progress</c>: <paramref name="progress"/> increases from one to the next of a request.</summary>
    public static PooledBuffer Progress(string rawToken, double progress, double? total, string? message) =>
        JsonFrame.Build((rawToken, progress, total, message), static (json, in s) =>
        {
            json.WriteString("jsonrpc"u8, "2.0");
            json.WriteString("method"u8, "notifications/progress");
            json.WriteStartObject("params"u8);
            json.WritePropertyName("progressToken"u8);
            json.WriteRawValue(s.rawToken, skipInputValidation: true);
            json.WriteNumber("progress"u8, s.progress);
            if (s.total is { } total)
            {
                json.WriteNumber("total"u8, total);
            }

            if (s.message is not null)
            {
                json.WriteString("message"u8, s.message);
            }

            json.WriteEndObject();
        });

    // Every revision this daemon speaks (2024-11-05 on) defines resources and prompts; none of its lists change by notification.
    private static void WriteCapabilities(Utf8JsonWriter json)
    {
        json.WriteStartObject("capabilities"u8);
        json.WriteStartObject("tools"u8);
        json.WriteBoolean("listChanged"u8, false);
        json.WriteEndObject();
        json.WriteStartObject("resources"u8);
        json.WriteBoolean("subscribe"u8, false);
        json.WriteBoolean("listChanged"u8, false);
        json.WriteEndObject();
        json.WriteStartObject("prompts"u8);
        json.WriteBoolean("listChanged"u8, false);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter json, string? rawId)
    {
        json.WritePropertyName("id"u8);
        if (rawId is null)
        {
            json.WriteNullValue(); // JSON-RPC: the id of a request that could not be read
        }
        else
        {
            json.WriteRawValue(rawId, skipInputValidation: true);
        }
    }
}
