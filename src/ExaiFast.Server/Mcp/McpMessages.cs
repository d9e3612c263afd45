using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>Builds every JSON-RPC 2.0 message the daemon sends to an MCP client.</summary>
internal static partial class McpMessages
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

    // MCP's own codes from 2026-07-28 on (schema/2026-07-28/schema.ts; basic/index.mdx#error-codes), answered only to
    // modern requests. Streamable HTTP sends each with status 400.

    /// <summary>A Streamable HTTP header (<c>MCP-Protocol-Version</c>, <c>Mcp-Method</c>, <c>Mcp-Name</c>) is missing or
    /// disagrees with the body.</summary>
    public const int HeaderMismatch = -32020;

    /// <summary>The request names a revision this daemon does not serve per request; <c>data</c> lists those it does.</summary>
    public const int UnsupportedProtocolVersion = -32022;

    /// <summary>
    /// The -32022 error (schema <c>UnsupportedProtocolVersionError</c>): <c>data.supported</c> is what
    /// <c>server/discover</c> lists, <c>data.requested</c> the revision as the client named it.
    /// </summary>
    public static PooledBuffer UnsupportedVersion(string? rawId, string requested, string message) =>
        Error(rawId, UnsupportedProtocolVersion, message, requested, static (json, in requested) =>
        {
            WriteVersions(json, "supported"u8, McpRevisions.ModernVersions);
            json.WriteString("requested"u8, requested);
        });

    public static PooledBuffer EmptyResult(string rawId) =>
        Result(rawId, false, static (_, in _) => { });

    public static PooledBuffer Initialized(string rawId, string protocolVersion, string serverVersion) =>
        Result(rawId, (protocolVersion, serverVersion), static (json, in s) =>
        {
            json.WriteString("protocolVersion"u8, s.protocolVersion);
            WriteCapabilities(json);
            json.WriteStartObject("serverInfo"u8);
            json.WriteString("name"u8, "exaifast");
            json.WriteString("version"u8, s.serverVersion);
            json.WriteEndObject();
        });

    /// <summary>
    /// The answer to <c>server/discover</c> (2026-07-28 <c>server/discover.mdx</c>): the revisions a client may name per
    /// request (only modern ones: a legacy revision is reached through <c>initialize</c>), the capabilities, and caching
    /// advice. Only modern requests get here.
    /// </summary>
    public static PooledBuffer Discovered(string rawId, string serverVersion, bool tasks = false) =>
        Result(rawId, (serverVersion, tasks), static (json, in s) =>
        {
            WriteResultType(json, McpDialect.Modern);
            WriteVersions(json, "supportedVersions"u8, McpRevisions.ModernVersions);
            WriteCapabilities(json, s.tasks);
            WriteCache(json, McpDialect.Modern, McpCache.Discover);
            WriteServerMeta(json, McpDialect.Modern, s.serverVersion);
        });

    /// <summary>The <c>tools/list</c> result of <paramref name="catalog"/>, cacheable for modern clients (<see cref="McpCache.Static"/>).</summary>
    public static PooledBuffer ToolsList(string rawId, IToolCatalog catalog, McpDialect dialect) =>
        Result(rawId, (catalog, dialect), static (json, in s) =>
        {
            WriteResultType(json, s.dialect);
            ToolListJson.Write(json, s.catalog, s.dialect.Shape);
            WriteCache(json, s.dialect, McpCache.Static);
            WriteServerMeta(json, s.dialect);
        });

    /// <summary>A <c>tools/list</c> result around a <c>tools</c> array that is already MCP's shape (the daemon's
    /// <c>list_tools_res</c>), with <paramref name="cache"/>'s advice for a modern client.</summary>
    public static PooledBuffer ToolsList(string rawId, JsonElement tools, McpDialect dialect, McpCache cache) =>
        Result(rawId, (tools, dialect, cache), static (json, in s) =>
        {
            WriteResultType(json, s.dialect);
            json.WritePropertyName("tools"u8);
            s.tools.WriteTo(json);
            WriteCache(json, s.dialect, s.cache);
            WriteServerMeta(json, s.dialect);
        });

    /// <summary>
    /// A call's end as a <c>tools/call</c> result. A failed call (bad arguments, timeout, capacity, provider) is a
    /// tool error — <c>isError: true</c> with the code and message as text — so the model sees it and can react; the
    /// code is also in <c>_meta.exaifast/error</c> for programs.
    /// </summary>
    /// <remarks>With <paramref name="cut"/> the answer's text is the cut one, and 2025-06-18 on a <c>resource_link</c>
    /// to the thread holding the whole answer follows it.</remarks>
    public static PooledBuffer ToolResult(string rawId, CallResult result, McpDialect dialect, OutputCut? cut = null) =>
        Result(rawId, (result, dialect, cut), static (json, in s) =>
        {
            WriteToolResult(json, s.result, s.dialect, s.cut);
        });

    /// <summary>The members of a <c>tools/call</c> result (inside its object): a response's, or a completed task's <c>result</c>.</summary>
    internal static void WriteToolResult(Utf8JsonWriter json, CallResult result, McpDialect dialect, OutputCut? cut)
    {
        WriteResultType(json, dialect);
        if (result.Error is { } error)
        {
            json.WriteStartArray("content"u8);
            ContentJson.WriteText(json, error.RetryAfterSeconds is { } retry
                ? $"{error.Code}: {error.Message} (retry after {retry:0.###} s)"
                : $"{error.Code}: {error.Message}");
            json.WriteEndArray();
        }
        else if (cut is { } shortened)
        {
            json.WriteStartArray("content"u8);
            ContentJson.WriteText(json, shortened.Text);
            if (shortened.Thread is { } link && dialect.Shape == ToolShape.Structured)
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

            if (result.ContinuationId is { } continuation)
            {
                ContentJson.WriteText(json, ContentJson.ContinuationOffer(continuation));
            }

            json.WriteEndArray();
        }
        else
        {
            ContentJson.Write(json, "content"u8, result, offerContinuation: true);
        }

        json.WriteBoolean("isError"u8, result.Error is not null);
        if (dialect.Shape == ToolShape.Structured)
        {
            StructuredContentJson.Write(json, result, cut); // beside the content, which stays what the model reads
        }

        if (result.ContinuationId is { } thread)
        {
            // At the top level, as exai-ws has it: a program continues the conversation without parsing the text.
            json.WriteString("continuation_id"u8, thread);
        }

        // One _meta: a modern result's server identity beside the call's own facts.
        bool meta = dialect.IsModern || result.Error is not null || result.Provider is not null;
        if (meta)
        {
            json.WriteStartObject("_meta"u8);
            if (dialect.IsModern)
            {
                WriteServerInfo(json, ServerInfo.Version);
            }
        }

        if (result.Error is { } e)
        {
            json.WriteStartObject("exaifast/error"u8);
            json.WriteString("code"u8, e.Code);
            if (e.RetryAfterSeconds is { } r)
            {
                json.WriteNumber("retry_after"u8, r);
            }

            json.WriteEndObject();
        }
        else if (result.Provider is not null)
        {
            // Which model answered and why (auto routing, fallbacks), for programs; the content stays the answer.
            json.WriteStartObject("exaifast/model"u8);
            json.WriteString("provider"u8, result.Provider);
            json.WriteString("model"u8, result.Model);
            if (result.Route is not null)
            {
                json.WriteString("route"u8, result.Route);
            }

            json.WriteEndObject();
        }

        if (meta)
        {
            json.WriteEndObject();
        }
    }

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

    /// <summary>A modern result's <c>"resultType": "complete"</c> (2026-07-28 <c>basic/index.mdx</c>#resulttype: every
    /// result says it; this server never answers <c>input_required</c>). Nothing for a legacy one, whose schema has no such field.</summary>
    internal static void WriteResultType(Utf8JsonWriter json, McpDialect dialect)
    {
        if (dialect.IsModern)
        {
            json.WriteString("resultType"u8, "complete"u8);
        }
    }

    /// <summary>A modern cacheable result's <c>ttlMs</c> and <c>cacheScope</c> (2026-07-28 <c>server/utilities/caching.mdx</c>:
    /// lists, reads and <c>server/discover</c>); nothing for a legacy one.</summary>
    internal static void WriteCache(Utf8JsonWriter json, McpDialect dialect, McpCache cache)
    {
        if (dialect.IsModern)
        {
            json.WriteNumber("ttlMs"u8, cache.TtlMs);
            json.WriteString("cacheScope"u8, cache.Public ? "public"u8 : "private"u8);
        }
    }

    /// <summary>A modern result's <c>_meta</c> naming the server (2026-07-28 <c>basic/index.mdx</c>#meta: results SHOULD
    /// carry <c>io.modelcontextprotocol/serverInfo</c>, there being no <c>initialize</c> to tell it); nothing for a legacy one.
    /// For a result with a <c>_meta</c> of its own, write <see cref="WriteServerInfo"/> inside it instead.</summary>
    internal static void WriteServerMeta(Utf8JsonWriter json, McpDialect dialect, string? serverVersion = null)
    {
        if (dialect.IsModern)
        {
            json.WriteStartObject("_meta"u8);
            WriteServerInfo(json, serverVersion ?? ServerInfo.Version);
            json.WriteEndObject();
        }
    }

    /// <summary>The <c>io.modelcontextprotocol/serverInfo</c> entry, inside an open <c>_meta</c>.</summary>
    internal static void WriteServerInfo(Utf8JsonWriter json, string serverVersion)
    {
        json.WriteStartObject("io.modelcontextprotocol/serverInfo"u8);
        json.WriteString("name"u8, ServerInfo.Name);
        json.WriteString("version"u8, serverVersion);
        json.WriteEndObject();
    }

    private static void WriteVersions(Utf8JsonWriter json, ReadOnlySpan<byte> name, string[] versions)
    {
        json.WriteStartArray(name);
        foreach (string version in versions)
        {
            json.WriteStringValue(version);
        }

        json.WriteEndArray();
    }

    // Every revision this daemon speaks (2024-11-05 on) defines resources and prompts; none of its lists change by notification.
    private static void WriteCapabilities(Utf8JsonWriter json, bool tasks = false)
    {
        json.WriteStartObject("capabilities"u8);
        if (tasks)
        {
            // ext-tasks "Capability negotiation": the server declares the extension where it can answer with a task.
            json.WriteStartObject("extensions"u8);
            json.WriteStartObject(McpRequestMeta.TasksExtension);
            json.WriteEndObject();
            json.WriteEndObject();
        }

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
}
