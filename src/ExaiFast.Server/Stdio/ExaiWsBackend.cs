using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using ExaiFast.Core.Calls;
using ExaiFast.Server.Mcp;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.Stdio;

/// <summary>
/// The tools of a running daemon behind MCP, reached over one exai-ws connection: the stdio bridge's backend.
/// <c>tools/list</c> becomes <c>list_tools</c>, <c>tools/call</c> becomes <c>call_tool</c> (request_id = the MCP
/// request's call key, unique in the session), <c>progress</c> frames become progress notifications, and an MCP cancel
/// becomes <c>cancel</c>. The connection is re-made with backoff and the same <c>session_id</c>, and every call still
/// pending is sent again, so that the daemon attaches it to the running call or replays its stored result.
/// </summary>
/// <remarks>
/// <para>One owner for every fact: all state (calls, lists, the socket, the session's free slots) is touched only by
/// one loop that takes events in order — the MCP side's requests, frames from the receive loop, connects and
/// disconnects from the connection supervisor, and a clock tick for deadlines. The <see cref="IMcpBackend"/> methods
/// only post an event, so they never block the stdin reader. That loop is also the only sender on the socket.</para>
/// <para>Over exai-ws the daemon refuses a call beyond the session's in-flight limit at once (OVER_CAPACITY); MCP
/// clients fan out and do not retry, so the bridge keeps at most <c>limits.session_max_inflight</c> (from
/// <c>hello_ack</c>) calls at the daemon and queues the rest, FIFO and bounded, as the daemon's own MCP doors do.</para>
/// </remarks>
internal sealed partial class ExaiWsBackend : IMcpBackend, IAsyncDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ExaiWsBackendOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Event> _events = Channel.CreateUnbounded<Event>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Task _supervisor;
    private readonly Task _ticker;
    private long _listSequence;
    private volatile string _lastError = "not connected yet";

    /// <summary>Starts connecting to the daemon.</summary>
    public ExaiWsBackend(ExaiWsBackendOptions options, ILogger logger, TimeProvider? time = null)
    {
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _loop = Task.Run(RunAsync);
        _supervisor = Task.Run(() => SuperviseAsync(_stop.Token));
        _ticker = Task.Run(TickAsync);
    }

    /// <summary>The exai-ws session this bridge keeps across reconnects.</summary>
    public string SessionId => _options.SessionId;

    /// <summary>Connections made to the daemon so far (the first one, then each reconnect).</summary>
    public int Connections => (int)Interlocked.Read(ref _epoch);

    /// <inheritdoc />
    /// <remarks>A modern client may keep the list a minute (<see cref="McpCache.Relayed"/>): the daemon behind may
    /// restart with other tools.</remarks>
    public void ListTools(string rawId, McpDialect dialect, IMcpReply reply)
    {
        string requestId = "list-" + Interlocked.Increment(ref _listSequence).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var shape = dialect.Shape;
        Post(new ListEvent(new PendingList(requestId, rawId, reply, Frame((requestId, shape), static (json, s) =>
        {
            json.WriteString("op"u8, "list_tools");
            json.WriteString("request_id"u8, s.requestId);
            json.WriteString("mcp_revision"u8, s.shape switch // the oldest revision of the shape: the daemon lists in it
            {
                ToolShape.Structured => "2025-06-18",
                ToolShape.Annotated => "2025-03-26",
                _ => "2024-11-05",
            });
        }), dialect: dialect)));
    }

    /// <inheritdoc />
    /// <remarks>Asks the daemon for the threads this session's calls made (the daemon adds its recent ones when it trusts
    /// its callers) and pages them here.</remarks>
    public void ListResources(McpSession session, string rawId, ThreadCursor? after, McpDialect dialect, IMcpReply reply)
    {
        PostThreadsFor(rawId, reply, session.Threads, threads => ThreadResources.List(rawId, threads, after, dialect));
    }

    /// <inheritdoc />
    public void ReadResource(McpSession session, string rawId, Guid thread, string uri, McpDialect dialect, IMcpReply reply)
    {
        string requestId = "thread-" + Interlocked.Increment(ref _listSequence).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Post(new ListEvent(new PendingList(requestId, rawId, reply, Frame((requestId, thread), static (json, s) =>
        {
            json.WriteString("op"u8, "read_thread");
            json.WriteString("request_id"u8, s.requestId);
            json.WriteString("thread_id"u8, s.thread);
        }), answer: frame => frame.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String
            ? ThreadResources.Read(rawId, thread, text.GetString()!, dialect)
            : McpMessages.Error(rawId, McpMessages.InternalError, "the daemon's read_thread_res has no text"),
            failed: (code, _) => code == Core.Calls.ErrorCodes.ThreadNotFound ? ThreadResources.NotFound(rawId, uri, dialect) : null)));
    }

    /// <inheritdoc />
    public void StartCall(McpSession session, McpRequest request, string name, JsonElement arguments, ref ArgumentsLease lease)
    {
        // The lease is left to the caller: the frame is written now, once (and sent again as is on reconnect), so the
        // message's bytes (and a big one's inbound budget) go back as soon as this returns. The daemon budgets the frame.
        byte[] frame = Frame((request.Key.RequestId, name, arguments), static (json, s) =>
        {
            json.WriteString("op"u8, "call_tool");
            json.WriteString("request_id"u8, s.RequestId);
            json.WriteString("name"u8, s.name);
            json.WritePropertyName("arguments"u8);
            s.arguments.WriteTo(json);
        });
        Post(new CallEvent(new PendingCall(session, request, name, frame)));
    }

    /// <inheritdoc />
    public void Cancel(McpSession session, McpRequest request) => Post(new CancelEvent(request.Key.RequestId));

    /// <inheritdoc />
    public void SessionEnded(McpSession session)
    {
        // Its calls were cancelled one by one (Cancel) just before; nothing else is kept per session.
    }

    /// <summary>
    /// Sends what is queued (the cancels of an ended session above all), closes the connection and stops reconnecting.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new ShutdownEvent(closed));
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stop.CancelAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
        await Task.WhenAll(_loop, _supervisor, _ticker).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private void Post(Event e)
    {
        if (!_events.Writer.TryWrite(e) && e is ShutdownEvent s)
        {
            s.Done.TrySetResult();
        }
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Post(TickEvent.Instance);
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private static byte[] Frame<TState>(TState state, Action<Utf8JsonWriter, TState> body)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(output, WriterOptions))
        {
            json.WriteStartObject();
            body(json, state);
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    // The event loop's inputs: one loop owns the bridge's state, everything else posts to it.
    private abstract record Event;

    private sealed record CallEvent(PendingCall Call) : Event;

    private sealed record CancelEvent(string RequestId) : Event;

    private sealed record ListEvent(PendingList List) : Event;

    private sealed record ConnectedEvent(long Epoch, ClientWebSocket Socket, int SessionLimit) : Event;

    private sealed record FrameEvent(long Epoch, JsonDocument Frame) : Event;

    private sealed record DisconnectedEvent(long Epoch) : Event;

    private sealed record RefusedEvent(string Message) : Event;

    private sealed record ShutdownEvent(TaskCompletionSource Done) : Event;

    private sealed record TickEvent : Event
    {
        public static readonly TickEvent Instance = new();
    }

    private static partial class Log
    {
        [LoggerMessage(400, LogLevel.Information, "Connected to the daemon at {Uri} (session {SessionId}, connection {Epoch}); {Resent} calls sent again")]
        public static partial void Connected(ILogger logger, Uri uri, string sessionId, long epoch, int resent);

        [LoggerMessage(401, LogLevel.Warning, "Lost the connection to the daemon at {Uri}; reconnecting")]
        public static partial void Disconnected(ILogger logger, Uri uri);

        [LoggerMessage(402, LogLevel.Error, "The daemon at {Uri} refused the hello: {Reason}")]
        public static partial void Refused(ILogger logger, Uri uri, string reason);

        [LoggerMessage(403, LogLevel.Debug, "Cannot reach the daemon at {Uri}: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, Uri uri, string reason);

        [LoggerMessage(404, LogLevel.Information, "Nothing listens at {Uri}: starting a daemon")]
        public static partial void Autostarting(ILogger logger, Uri uri);

        [LoggerMessage(405, LogLevel.Error, "Starting a daemon failed")]
        public static partial void AutostartFailed(ILogger logger, Exception exception);

        [LoggerMessage(406, LogLevel.Error, "Handling a bridge event failed")]
        public static partial void EventFailed(ILogger logger, Exception exception);
    }
}
