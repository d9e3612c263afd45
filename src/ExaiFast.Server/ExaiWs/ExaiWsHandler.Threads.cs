using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Threads;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server.ExaiWs;

// list_threads and read_thread: the conversation threads for the stdio bridge's MCP resources and `exaifast threads`.
internal sealed partial class ExaiWsHandler
{
    private readonly IThreadArchive? _threads;
    private readonly Func<bool> _trusted;

    // {op:list_threads, request_id, ids?:[thread ids]}: the named threads that still exist, and the daemon's recent ones
    // when it trusts its callers; answered when the store has, off the reader.
    private void ListThreads(ExaiWsConnection connection, JsonElement root, string? requestId)
    {
        var ids = new List<Guid>();
        if (root.TryGetProperty("ids"u8, out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > IThreadArchive.MaxListed)
            {
                connection.Send(ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, $"'ids' must be an array of at most {IThreadArchive.MaxListed} thread ids"), droppable: false);
                return;
            }

            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || !Guid.TryParse(item.GetString(), out var id))
                {
                    connection.Send(ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, "'ids' must hold thread ids (UUIDs, as continuation_id)"), droppable: false);
                    return;
                }

                ids.Add(id);
            }
        }

        bool daemonWide = _trusted();
        _ = AnswerAsync(connection, requestId, async () =>
        {
            var threads = _threads is null ? [] : await _threads.ListAsync(ids, daemonWide, CancellationToken.None).ConfigureAwait(false);
            return ExaiWsFrames.Threads(requestId, threads, daemonWide);
        });
    }

    // {op:read_thread, request_id, thread_id}: the thread's summary and its turns as Markdown, or THREAD_NOT_FOUND. Whoever
    // knows a thread's id may continue it, so may read it.
    private void ReadThread(ExaiWsConnection connection, JsonElement root, string? requestId)
    {
        if (!root.TryGetProperty("thread_id"u8, out var t) || t.ValueKind != JsonValueKind.String || !Guid.TryParse(t.GetString(), out var id))
        {
            connection.Send(ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, "read_thread needs 'thread_id', a thread id (UUID, as continuation_id)"), droppable: false);
            return;
        }

        _ = AnswerAsync(connection, requestId, async () =>
        {
            var read = _threads is null ? null : await _threads.ReadAsync(id, CancellationToken.None).ConfigureAwait(false);
            return read is { } r
                ? ExaiWsFrames.Thread(requestId, r.Summary, r.Text)
                : ExaiWsFrames.Error(requestId, ErrorCodes.ThreadNotFound, $"no conversation thread {id}: it never existed here, or it expired after its last turn (CONVERSATION_TIMEOUT_HOURS)");
        });
    }

    private async Task AnswerAsync(ExaiWsConnection connection, string? requestId, Func<Task<PooledBuffer>> answer)
    {
        PooledBuffer frame;
        try
        {
            frame = await answer().ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            frame = ExaiWsFrames.Error(requestId, ErrorCodes.StoreUnavailable, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (_failures.TryEnter(out long suppressed))
            {
                Log.FrameFailed(_logger, connection.Socket.ConnectionId, suppressed, ex);
            }

            frame = ExaiWsFrames.Error(requestId, ErrorCodes.InternalError, "the daemon failed to read the conversation threads; see its log");
        }

        connection.Send(frame, droppable: false);
    }
}
