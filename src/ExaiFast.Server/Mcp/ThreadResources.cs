using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ExaiFast.Core.Threads;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// Conversation threads as MCP resources: <c>exaifast://threads/&lt;id&gt;</c>, listed newest first in pages under an
/// opaque cursor, read as Markdown, and offered as the template <c>exaifast://threads/{id}</c>. The backends only
/// fetch the summaries and the text; the URIs, paging and messages are here, once.
/// </summary>
internal static class ThreadResources
{
    /// <summary>The URI of every thread but its id.</summary>
    public const string UriPrefix = "exaifast://threads/";

    /// <summary>The template clients fill in.</summary>
    public const string UriTemplate = UriPrefix + "{id}";

    /// <summary>What a thread reads as.</summary>
    public const string MimeType = "text/markdown";

    /// <summary>Threads per <c>resources/list</c> page.</summary>
    public const int PageSize = 25;

    /// <summary>MCP's error for a resource that is not there (the resources page, Error Handling).</summary>
    public const int ResourceNotFound = -32002;

    /// <summary>The URI of thread <paramref name="id"/>.</summary>
    public static string UriOf(Guid id) => UriPrefix + id.ToString("D");

    /// <summary>The thread a URI names; false for anything else (another scheme, no id, a malformed id, a suffix).</summary>
    public static bool TryParse(string uri, out Guid id)
    {
        id = default;
        return uri.StartsWith(UriPrefix, StringComparison.Ordinal)
            && uri.Length == UriPrefix.Length + 36
            && Guid.TryParseExact(uri.AsSpan(UriPrefix.Length), "D", out id);
    }

    /// <summary>The <c>resources/list</c> result: the page of <paramref name="threads"/> (newest first) after <paramref name="after"/>.</summary>
    /// <remarks>Never reused by a modern client (<see cref="McpCache.Live"/>): every call can add a thread, and the list depends on the caller.</remarks>
    public static PooledBuffer List(string rawId, IReadOnlyList<ThreadSummary> threads, ThreadCursor? after, McpDialect dialect)
    {
        var page = new List<ThreadSummary>(PageSize);
        bool more = false;
        foreach (var thread in threads.OrderByDescending(t => t.UpdatedAt.UtcTicks).ThenBy(t => t.Id))
        {
            if (after is { } a && !a.Precedes(thread))
            {
                continue;
            }

            if (page.Count == PageSize)
            {
                more = true;
                break;
            }

            page.Add(thread);
        }

        return McpMessages.Result(rawId, (page, more, dialect), static (json, in s) =>
        {
            McpMessages.WriteResultType(json, s.dialect);
            json.WriteStartArray("resources"u8);
            foreach (var thread in s.page)
            {
                json.WriteStartObject();
                json.WriteString("uri"u8, UriOf(thread.Id));
                json.WriteString("name"u8, thread.Title);
                if (s.dialect.Shape == ToolShape.Structured)
                {
                    json.WriteString("title"u8, thread.Title);
                }

                json.WriteString("description"u8, Describe(thread));
                json.WriteString("mimeType"u8, MimeType);
                if (s.dialect.Shape == ToolShape.Structured)
                {
                    json.WriteStartObject("annotations"u8);
                    json.WriteString("lastModified"u8, thread.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (s.more)
            {
                var last = s.page[^1];
                json.WriteString("nextCursor"u8, new ThreadCursor(last.UpdatedAt.UtcTicks, last.Id).Encode());
            }

            McpMessages.WriteCache(json, s.dialect, McpCache.Live);
            McpMessages.WriteServerMeta(json, s.dialect);
        });
    }

    /// <summary>One line saying what a thread is: its tool, model, turns and last update.</summary>
    public static string Describe(ThreadSummary thread) => string.Create(CultureInfo.InvariantCulture,
        $"Conversation with {thread.Tool}{(thread.Model is { } m ? $" ({m})" : "")}: {thread.Turns} turn{(thread.Turns == 1 ? "" : "s")}, updated {thread.UpdatedAt.UtcDateTime:u}");

    /// <summary>The <c>resources/read</c> result: the thread as one Markdown text; never reused by a modern client
    /// (<see cref="McpCache.Live"/>: its next turn changes it).</summary>
    public static PooledBuffer Read(string rawId, Guid id, string text, McpDialect dialect) =>
        McpMessages.Result(rawId, (id, text, dialect), static (json, in s) =>
        {
            McpMessages.WriteResultType(json, s.dialect);
            json.WriteStartArray("contents"u8);
            json.WriteStartObject();
            json.WriteString("uri"u8, UriOf(s.id));
            json.WriteString("mimeType"u8, MimeType);
            json.WriteString("text"u8, s.text);
            json.WriteEndObject();
            json.WriteEndArray();
            McpMessages.WriteCache(json, s.dialect, McpCache.Live);
            McpMessages.WriteServerMeta(json, s.dialect);
        });

    /// <summary>The <c>resources/templates/list</c> result: the one template.</summary>
    public static PooledBuffer Templates(string rawId, McpDialect dialect) =>
        McpMessages.Result(rawId, dialect, static (json, in dialect) =>
        {
            McpMessages.WriteResultType(json, dialect);
            json.WriteStartArray("resourceTemplates"u8);
            json.WriteStartObject();
            json.WriteString("uriTemplate"u8, UriTemplate);
            json.WriteString("name"u8, "conversation-thread");
            if (dialect.Shape == ToolShape.Structured)
            {
                json.WriteString("title"u8, "Conversation thread");
            }

            json.WriteString("description"u8, "A conversation thread by its continuation_id: every turn's tool, model, request and answer, whole.");
            json.WriteString("mimeType"u8, MimeType);
            json.WriteEndObject();
            json.WriteEndArray();
            McpMessages.WriteCache(json, dialect, McpCache.Static);
            McpMessages.WriteServerMeta(json, dialect);
        });

    /// <summary>The error for a well-formed URI naming no thread (never made here, or expired); for a modern request,
    /// also for any other URI.</summary>
    /// <remarks>-32002 for a legacy request; a modern one gets -32602, which 2026-07-28 made the code for it
    /// (<c>server/resources.mdx</c>, Error Handling).</remarks>
    public static PooledBuffer NotFound(string rawId, string uri, McpDialect dialect) =>
        McpMessages.Error(
            rawId,
            dialect.IsModern ? McpMessages.InvalidParams : ResourceNotFound,
            TryParse(uri, out _)
                ? $"Resource not found: {McpProtocol.Truncate(uri)} names no conversation thread here: it never existed, or it expired after its last turn (CONVERSATION_TIMEOUT_HOURS)"
                : $"Resource not found: {McpProtocol.Truncate(uri)} is not a resource of this server; its resources are {UriTemplate} (id: a continuation_id)",
            uri,
            static (json, in uri) => json.WriteString("uri"u8, uri));
}
