using System.Globalization;
using System.Text.Json;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Stdio;

// prompts/list and prompts/get: made from the daemon's own tools/list (list_tools), asked for each time, so the prompts
// follow what the daemon serves (its profile, a restart with another); continue also asks for the session's threads.
internal sealed partial class ExaiWsBackend
{
    /// <inheritdoc />
    public void ListPrompts(McpSession session, string rawId, McpDialect dialect, IMcpReply reply) =>
        PostToolsFor(rawId, reply, frame => PromptCatalog.FromTools(frame.GetProperty("tools"u8)).List(rawId, dialect));

    /// <inheritdoc />
    public void GetPrompt(McpSession session, string rawId, PromptAsk ask, McpDialect dialect, IMcpReply reply) =>
        PostToolsFor(rawId, reply, frame =>
        {
            var prompts = PromptCatalog.FromTools(frame.GetProperty("tools"u8));
            if (prompts.Refusal(rawId, ask) is { } refused)
            {
                return refused;
            }

            if (!PromptCatalog.NeedsThread(ask))
            {
                return prompts.Get(rawId, ask, dialect);
            }

            // Runs on the event loop: the threads are one more exchange with the daemon, answered when it comes.
            var mine = session.Threads;
            PostThreadsFor(rawId, reply, mine, threads => prompts.Get(rawId, ask, dialect, PromptCatalog.Latest(mine, threads)));
            return null;
        });

    private void PostToolsFor(string rawId, IMcpReply reply, Func<JsonElement, PooledBuffer?> answer)
    {
        string requestId = "prompts-" + Interlocked.Increment(ref _listSequence).ToString(CultureInfo.InvariantCulture);
        Post(new ListEvent(new PendingList(requestId, rawId, reply, Frame(requestId, static (json, id) =>
        {
            json.WriteString("op"u8, "list_tools");
            json.WriteString("request_id"u8, id);
            json.WriteString("mcp_revision"u8, "2025-03-26"); // the tools with their titles, for the prompts' own
        }), answer)));
    }

    private void PostThreadsFor(string rawId, IMcpReply reply, IReadOnlyCollection<Guid> ids, Func<IReadOnlyList<Core.Threads.ThreadSummary>, PooledBuffer> answer)
    {
        string requestId = "threads-" + Interlocked.Increment(ref _listSequence).ToString(CultureInfo.InvariantCulture);
        Post(new ListEvent(new PendingList(requestId, rawId, reply, Frame((requestId, ids), static (json, s) =>
        {
            json.WriteString("op"u8, "list_threads");
            json.WriteString("request_id"u8, s.requestId);
            json.WriteStartArray("ids"u8);
            foreach (var id in s.ids)
            {
                json.WriteStringValue(id);
            }

            json.WriteEndArray();
        }), answer: frame => answer(ThreadsOf(frame)))));
    }

    private static List<Core.Threads.ThreadSummary> ThreadsOf(JsonElement frame)
    {
        var threads = new List<Core.Threads.ThreadSummary>();
        if (frame.TryGetProperty("threads"u8, out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (ThreadSummaryJson.Read(item) is { } thread)
                {
                    threads.Add(thread);
                }
            }
        }

        return threads;
    }

    // An answer of null asked the daemon for more: the response comes with that answer.
    private static void Respond(PendingList list, PooledBuffer? response)
    {
        if (response is { } r)
        {
            list.Reply.Respond(r);
        }
    }
}
