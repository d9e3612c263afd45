using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Limits;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.Options;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.ExaiWs;

/// <summary>
/// The exai-ws front door (PROTOCOL.md): hello, list_tools, call_tool, cancel, ping, health, rotate_token, and the
/// conversation threads' list_threads and read_thread.
/// </summary>
/// <remarks>
/// Runs on each connection's reader loop and never waits for the work queue: admission is <see cref="Dispatcher.Submit"/>,
/// which answers at once, so control ops (cancel, ping, list_tools, health) are answered even when every worker is busy.
/// One instance serves all connections; per-connection state is an <see cref="ExaiWsConnection"/>.
/// </remarks>
internal sealed partial class ExaiWsHandler : IWebSocketHandler, IAsyncDisposable
{
    private readonly ExaiWsOptions _options;
    private readonly Dispatcher _dispatcher;
    private readonly IToolCatalog _tools;
    private readonly Func<IReadOnlyDictionary<string, bool>> _providers;
    private readonly IDaemonStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _maxBytes;
    private readonly TokenGuard _token;
    private readonly SessionTracker _sessions;
    private readonly ConcurrentDictionary<ExaiWsConnection, byte> _awaitingHello = new();
    private readonly ConcurrentDictionary<ExaiWsConnection, byte> _open = new();
    private readonly Logging.LogRateLimit _failures = new(perMinute: 10);
    private readonly PeriodicTimer _helloTimer;
    private readonly Task _helloWatch;
    private readonly long _helloTicks;

    /// <summary>Creates the front door.</summary>
    /// <param name="options">Token, hello timeout, disconnect grace.</param>
    /// <param name="dispatcher">Where calls go.</param>
    /// <param name="tools">The tools.</param>
    /// <param name="providers">Provider availability for <c>health</c>.</param>
    /// <param name="status">The daemon's status, which <c>health</c> reports.</param>
    /// <param name="maxMessageBytes">Announced in <c>hello_ack.limits.max_bytes</c>.</param>
    /// <param name="sessionMaxInflight">Announced in <c>hello_ack.limits.session_max_inflight</c>.</param>
    /// <param name="time">Clock.</param>
    /// <param name="logger">Log.</param>
    /// <param name="token">The host's token guard, shared with the other doors; one made from
    /// <see cref="ExaiWsOptions.Token"/> if null.</param>
    /// <param name="shared">Results shared with other daemons (<c>REDIS_URL</c>), or null.</param>
    /// <param name="threads">The conversation threads for <c>list_threads</c> and <c>read_thread</c>; null: none.</param>
    /// <param name="trusted">Whether callers may list all the daemon's threads (<see cref="ThreadTrust"/>); null: no.</param>
    public ExaiWsHandler(ExaiWsOptions options, Dispatcher dispatcher, IToolCatalog tools, Func<IReadOnlyDictionary<string, bool>> providers, IDaemonStatus status,
        long maxMessageBytes, int sessionMaxInflight, TimeProvider time, ILogger logger, TokenGuard? token = null, ISharedResults? shared = null,
        Core.Threads.IThreadArchive? threads = null, Func<bool>? trusted = null)
    {
        _threads = threads;
        _trusted = trusted ?? (static () => false);
        _shared = shared;
        _options = options;
        _dispatcher = dispatcher;
        _tools = tools;
        _providers = providers;
        _status = status;
        _time = time;
        _logger = logger;
        _maxBytes = maxMessageBytes;
        CallerMaxInflight = sessionMaxInflight;
        _token = token ?? new TokenGuard(options.Token);
        _sessions = new SessionTracker(dispatcher, options.DisconnectGrace, time);
        _helloTicks = (long)(options.HelloTimeout.TotalSeconds * time.TimestampFrequency);
        _helloTimer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(options.HelloTimeout.TotalMilliseconds / 4, 10, 1000)), time);
        _helloWatch = WatchHellosAsync();
    }

    private int CallerMaxInflight { get; }

    /// <summary>The call rate limits per session and per client address; none if null.</summary>
    internal CallRateLimits? RateLimits { get; init; }

    /// <summary>What a hello's token is checked against: the host's guard shared with the other doors (the daemon's token,
    /// and in OAuth mode an access token); the token guard alone if null.</summary>
    public AccessGuard? Access { get; init; }

    /// <summary>Open exai-ws connections.</summary>
    public int Connections => _open.Count;

    /// <summary>exai-ws sessions with a live connection.</summary>
    public int Sessions => _sessions.Count;

    /// <inheritdoc />
    public IWebSocketDoor Open(IWebSocketSession session)
    {
        var connection = new ExaiWsConnection(session, _time.GetTimestamp() + _helloTicks, _time);
        _open[connection] = 0;
        _awaitingHello[connection] = 0;
        return new Door(this, connection);
    }

    /// <summary>A message of <paramref name="connection"/> (its door's <see cref="IWebSocketDoor.OnMessageAsync"/>).</summary>
    private async ValueTask OnMessageAsync(ExaiWsConnection connection, WebSocketMessage message, CancellationToken cancellationToken)
    {
        var session = connection.Socket;
        JsonDocument? document = null;
        bool handedOver = false; // a call_tool's document and payload go to the dispatcher with the call
        try
        {
            try
            {
                // The document reads the payload in place; both live until the finally below (or the call's end). A big
                // message is parsed on a thread of its own, so the shared pool keeps none of its metadata (BigMessageJson).
                var bytes = message.Payload.Memory.Span;
                if ((message.Opcode == WebSocketOpcode.Binary && !System.Text.Unicode.Utf8.IsValid(bytes)) || !JsonUnicode.EscapesArePaired(bytes))
                {
                    // JSON is UTF-8 and its \u escapes spell whole code points, and a parse checks neither (a text frame's
                    // UTF-8 was checked by the framer): such a string would otherwise throw where it is read, deep in a
                    // tool or in this door, as an internal error.
                    throw new JsonException("the frame is not Unicode text");
                }

                document = message.Payload.Owner is null
                    ? JsonDocument.Parse(message.Payload.Memory, ParseOptions)
                    : await BigMessageJson.ParseAsync(message.Payload.Memory, ParseOptions).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                if (connection.HelloDone)
                {
                    await SendAsync(session, ExaiWsFrames.Error(null, ErrorCodes.InvalidRequest, "frame is not valid JSON")).ConfigureAwait(false);
                }
                else
                {
                    await RefuseHelloAsync(connection, "invalid_hello", CloseCodes.InvalidHello, "first frame is not JSON").ConfigureAwait(false);
                }

                return;
            }

            var root = document.RootElement;
            var op = OpOf(root, out var opElement);
            if (!connection.HelloDone)
            {
                await HelloAsync(connection, root, op).ConfigureAwait(false);
                return;
            }

            if (!TryGetRequestId(root, out string? requestId))
            {
                // No answer could carry it, and one without it would leave the client waiting for its request's frames.
                await SendAsync(session, ExaiWsFrames.Error(null, ErrorCodes.InvalidRequest, "'request_id' must be a string")).ConfigureAwait(false);
                return;
            }

            switch (op)
            {
                case Op.CallTool:
                    if (RateLimits?.TryAdmit(session.RemoteAddress, connection.SessionId!) is { } limited)
                    {
                        await SendAsync(session, ExaiWsFrames.Refused(requestId ?? Guid.NewGuid().ToString("N"), limited)).ConfigureAwait(false);
                        break;
                    }

                    if (connection.Moved && await TryCollectElsewhereAsync(connection, root, requestId, cancellationToken).ConfigureAwait(false))
                    {
                        break; // answered from, or waiting for, another daemon
                    }

                    if (PrepareCall(connection, root, requestId ?? Guid.NewGuid().ToString("N"), out var call) is { } refusal)
                    {
                        await SendAsync(session, refusal).ConfigureAwait(false);
                        break;
                    }

                    // The call reads its arguments where they arrived: from this line the bytes are the dispatcher's,
                    // whatever it answers.
                    handedOver = true;
                    if (SubmitCall(connection, call with { ArgumentsLease = new ArgumentsLease(document, message.Payload.Array, message.Payload.Owner) }) is { } answer)
                    {
                        await SendAsync(session, answer).ConfigureAwait(false);
                    }

                    break;
                case Op.Cancel:
                    await CancelAsync(connection, requestId, cancellationToken).ConfigureAwait(false);
                    break;
                case Op.ListTools:
                    // exai-ws lists the tools as it always did; a bridge names its MCP client's revision (mcp_revision)
                    // and gets what an MCP client of that revision is shown.
                    var shape = root.TryGetProperty("mcp_revision"u8, out var revision) && revision.ValueKind == JsonValueKind.String
                        ? ToolShapes.Of(revision.GetString()) : ToolShape.ExaiWs;
                    await SendAsync(session, ExaiWsFrames.ListTools(requestId, _tools, shape)).ConfigureAwait(false);
                    break;
                case Op.ListThreads:
                    ListThreads(connection, root, requestId);
                    break;
                case Op.ReadThread:
                    ReadThread(connection, root, requestId);
                    break;
                case Op.Ping:
                    await SendAsync(session, ExaiWsFrames.Pong(requestId)).ConfigureAwait(false);
                    break;
                case Op.Health:
                    await SendAsync(session, ExaiWsFrames.Health(requestId, _status, _tools.All.Count, _providers())).ConfigureAwait(false);
                    break;
                case Op.RotateToken:
                    await RotateTokenAsync(connection, root, requestId).ConfigureAwait(false);
                    break;
                case Op.Hello:
                    await SendAsync(session, ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, "already said hello")).ConfigureAwait(false);
                    break;
                case Op.Missing:
                    await SendAsync(session, ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest,
                        root.ValueKind == JsonValueKind.Object ? "frame has no string 'op'" : "frame is not a JSON object")).ConfigureAwait(false);
                    break;
                default:
                    await SendAsync(session, ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, $"unknown op: {Truncate(opElement.GetString()!)}")).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug in handling one frame must not take the connection (and its other calls) down with it; and a client
            // can send that frame again and again, so at most a few a minute reach the log.
            if (_failures.TryEnter(out long suppressed))
            {
                Log.FrameFailed(_logger, session.ConnectionId, suppressed, ex);
            }

            await SendAsync(session, ExaiWsFrames.Error(document is null || handedOver || !TryGetRequestId(document.RootElement, out string? id) ? null : id, ErrorCodes.InternalError,
                "the daemon failed to handle this frame; see its log")).ConfigureAwait(false);
        }
        finally
        {
            if (!handedOver)
            {
                if (document is null)
                {
                    message.Payload.Return();
                }
                else
                {
                    new ArgumentsLease(document, message.Payload.Array, message.Payload.Owner).Dispose(); // as the call's end would
                }
            }
        }
    }

    /// <summary>The end of <paramref name="connection"/> (its door's <see cref="IWebSocketDoor.OnClosed"/>).</summary>
    private void OnClosed(ExaiWsConnection connection)
    {
        _open.TryRemove(connection, out _);
        _awaitingHello.TryRemove(connection, out _);
        if (connection.SessionId is { } sessionId)
        {
            _dispatcher.Detach(connection, sessionId);
            _sessions.Left(sessionId);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _helloTimer.Dispose();
        await _helloWatch.ConfigureAwait(false);
    }

    private async Task HelloAsync(ExaiWsConnection connection, JsonElement root, Op op)
    {
        if (op != Op.Hello)
        {
            await RefuseHelloAsync(connection, "missing_hello", CloseCodes.MissingHello, "first frame must be a hello").ConfigureAwait(false);
            return;
        }

        string? token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (!(Access is { } access ? await access.CheckAsync(token).ConfigureAwait(false) : _token.Check(token)))
        {
            Log.Unauthorized(_logger, connection.Socket.ConnectionId); // never the token itself
            await RefuseHelloAsync(connection, "unauthorized", CloseCodes.Unauthorized, "unauthorized").ConfigureAwait(false);
            return;
        }

        string? requested = root.TryGetProperty("session_id", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        string sessionId = requested is not null && IsValidSessionId(requested) ? requested : Guid.NewGuid().ToString("N");
        if (_shared is not null)
        {
            // One round trip per hello, none per call: only a session another daemon served looks for its results there.
            connection.Moved = await _shared.ClaimSessionAsync(sessionId, CancellationToken.None).ConfigureAwait(false);
        }

        connection.SessionId = sessionId;
        _awaitingHello.TryRemove(connection, out _);
        _sessions.Joined(sessionId);
        await SendAsync(connection.Socket, ExaiWsFrames.HelloAck(sessionId, ServerInfo.Version, _maxBytes, CallerMaxInflight)).ConfigureAwait(false);
    }

    private async Task RefuseHelloAsync(ExaiWsConnection connection, string error, ushort closeCode, string reason)
    {
        _awaitingHello.TryRemove(connection, out _);
        await SendAsync(connection.Socket, ExaiWsFrames.HelloFailed(error)).ConfigureAwait(false);
        connection.Socket.Close(closeCode, reason);
    }

    /// <summary>
    /// Validates a call_tool: the request to submit, or the frame that answers it instead (a refusal, or the ack of the
    /// same request already running for this connection).
    /// </summary>
    private PooledBuffer? PrepareCall(ExaiWsConnection connection, JsonElement root, string requestId, out CallRequest request)
    {
        request = default;
        if (!root.TryGetProperty("name"u8, out var n) || n.ValueKind != JsonValueKind.String || n.ValueEquals(""u8))
        {
            return ExaiWsFrames.Refused(requestId, new CallError(ErrorCodes.InvalidRequest, "call_tool needs a string 'name'"));
        }

        if (!TryGetTool(n, out var tool))
        {
            string missing = n.GetString()!;
            return ExaiWsFrames.Refused(requestId, new CallError(ErrorCodes.ToolNotFound, $"no tool named '{Truncate(missing)}'{DisabledTool.Note(_tools, missing)}"));
        }

        JsonElement arguments = root.TryGetProperty("arguments"u8, out var a) && a.ValueKind != JsonValueKind.Null ? a : EmptyObject;
        var validation = tool.Validate(arguments);
        if (validation.Error is { } invalid)
        {
            return ExaiWsFrames.Refused(requestId, new CallError(ErrorCodes.InvalidArguments, invalid));
        }

        bool stream = arguments.TryGetProperty("stream"u8, out var st) && st.ValueKind == JsonValueKind.True;
        var key = new CallKey(connection.SessionId!, requestId);
        if (_dispatcher.TryGetTicket(key, connection, out var waiting))
        {
            // The same request again on the same connection: it is already attached; one result will come.
            return ExaiWsFrames.Ack(requestId, tool.Name, waiting.Call!.Timeout);
        }

        request = new CallRequest(key, tool, arguments, validation.Lane!, stream, Plan: validation.Plan);
        return null;
    }

    /// <summary>
    /// Submits a validated call_tool on the reader, without waiting. Returns the frame that answers a refused request;
    /// any other gets its ack first and then its result through the connection, in order — a replay's stored result
    /// right behind its ack, in the same write, as a client that re-sends after a reconnect may never have seen the ack.
    /// </summary>
    private PooledBuffer? SubmitCall(ExaiWsConnection connection, in CallRequest request)
    {
        var ticket = _dispatcher.Submit(request);
        string requestId = request.Key.RequestId;
        if (ticket.Status == SubmitStatus.Refused)
        {
            return ExaiWsFrames.Result(requestId, ticket.Result); // nothing was accepted: the refusal is the whole answer
        }

        connection.Answer(ticket, ExaiWsFrames.Ack(requestId, request.Tool.Name, ticket.Call?.Timeout ?? _dispatcher.CallTimeout));
        return null;
    }

    // The name without a string: tool names are short ASCII, decoded onto the stack (an escaped name takes the slow path).
    private bool TryGetTool(JsonElement name, out ITool tool)
    {
        if (!JsonStrings.TryGetUnescapedUtf8(name, out var raw) || raw.Length > 128)
        {
            return _tools.TryGet(name.GetString()!, out tool);
        }

        Span<char> chars = stackalloc char[128];
        int n = System.Text.Encoding.UTF8.GetChars(raw, chars);
        return _tools.TryGet(chars[..n], out tool);
    }

    private async ValueTask CancelAsync(ExaiWsConnection connection, string? requestId, CancellationToken cancellationToken)
    {
        if (requestId is null)
        {
            await SendAsync(connection.Socket, ExaiWsFrames.Error(null, ErrorCodes.InvalidRequest, "cancel needs a 'request_id'")).ConfigureAwait(false);
            return;
        }

        if (connection.Relays?.TryGetValue(requestId, out var relay) == true)
        {
            await CancelRelayedAsync(connection, relay, requestId, cancellationToken).ConfigureAwait(false); // it runs on another daemon
            return;
        }

        // The call's CANCELLED result is produced inside Cancel (its token completes it inline): this connection's
        // result waits until the `cancelled` reply is queued, so that call_tool_res stays the last frame of the id.
        var key = new CallKey(connection.SessionId!, requestId);
        var ticket = _dispatcher.TryGetTicket(key, connection, out var t) ? t : null;
        ticket?.Defer();
        try
        {
            var result = _dispatcher.Cancel(key);

            // Not found: unknown, or finished before the cancel arrived (its call_tool_res is queued, or follows this).
            connection.Send(result.Found ? ExaiWsFrames.Cancelled(requestId, result.WasRunning) : NotInFlight(requestId), droppable: false);
        }
        finally
        {
            ticket?.Resume();
        }
    }

    private async Task RotateTokenAsync(ExaiWsConnection connection, JsonElement root, string? requestId)
    {
        string? old = root.TryGetProperty("old", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
        string? replacement = root.TryGetProperty("new", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        string? error = string.IsNullOrEmpty(replacement) ? "'new' must be a non-empty string"
            : !_token.TryRotate(old, replacement) ? "unauthorized" : null;
        if (error is null)
        {
            Log.TokenRotated(_logger, connection.Socket.ConnectionId);
        }

        await SendAsync(connection.Socket, ExaiWsFrames.RotateTokenResult(requestId, error)).ConfigureAwait(false);
    }

    private async Task WatchHellosAsync()
    {
        try
        {
            while (await _helloTimer.WaitForNextTickAsync().ConfigureAwait(false))
            {
                long now = _time.GetTimestamp();
                foreach (var connection in _awaitingHello.Keys)
                {
                    if (now > connection.HelloDeadline && _awaitingHello.TryRemove(connection, out _))
                    {
                        connection.Socket.Close(CloseCodes.HelloTimeout, "hello timeout");
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // disposed
        }
    }

    // The op without a string: compared as UTF-8 where it lies in the frame.
    private static Op OpOf(JsonElement root, out JsonElement op)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("op"u8, out op) || op.ValueKind != JsonValueKind.String)
        {
            op = default;
            return Op.Missing;
        }

        return op.ValueEquals("call_tool"u8) ? Op.CallTool
            : op.ValueEquals("cancel"u8) ? Op.Cancel
            : op.ValueEquals("ping"u8) ? Op.Ping
            : op.ValueEquals("list_tools"u8) ? Op.ListTools
            : op.ValueEquals("health"u8) ? Op.Health
            : op.ValueEquals("list_threads"u8) ? Op.ListThreads
            : op.ValueEquals("read_thread"u8) ? Op.ReadThread
            : op.ValueEquals("rotate_token"u8) ? Op.RotateToken
            : op.ValueEquals("hello"u8) ? Op.Hello
            : Op.Unknown;
    }

    private static ValueTask SendAsync(IWebSocketSession session, PooledBuffer frame) => session.SendAsync(WebSocketOpcode.Text, frame);

    // The request's id, or null when it has none (absent, or null); false when it is there but no id (an object, an array,
    // a boolean). A number is taken as written: clients of the original daemon send some.
    private static bool TryGetRequestId(JsonElement root, out string? requestId)
    {
        requestId = null;
        if (root.ValueKind != JsonValueKind.Object
            || (!root.TryGetProperty("request_id"u8, out var id) && !root.TryGetProperty("id"u8, out id)))
        {
            return true;
        }

        switch (id.ValueKind)
        {
            case JsonValueKind.String:
                requestId = id.GetString();
                return true;
            case JsonValueKind.Number:
                requestId = id.GetRawText();
                return true;
            default:
                return id.ValueKind == JsonValueKind.Null;
        }
    }

    // No ':' (McpSession.CallerSeparator): every MCP caller holds one, so a chosen session_id never names an MCP
    // session's or task's calls and results.
    private static bool IsValidSessionId(string id) =>
        id.Length is >= 3 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    private enum Op
    {
        Missing,
        Unknown,
        Hello,
        CallTool,
        Cancel,
        ListTools,
        Ping,
        Health,
        RotateToken,
        ListThreads,
        ReadThread,
    }

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Warning, "Connection {ConnectionId}: hello with a wrong token")]
        public static partial void Unauthorized(ILogger logger, long connectionId);

        [LoggerMessage(201, LogLevel.Information, "Connection {ConnectionId} rotated the token")]
        public static partial void TokenRotated(ILogger logger, long connectionId);

        [LoggerMessage(202, LogLevel.Error, "Connection {ConnectionId}: handling a frame failed ({Suppressed} such failures not logged since the last)")]
        public static partial void FrameFailed(ILogger logger, long connectionId, long suppressed, Exception exception);

        // The call runs on the other daemon: its lane is that daemon's, unknown here.
        [LoggerMessage(203, LogLevel.Error, "Connection {ConnectionId}: relaying the result of call {RequestId} of session {SessionId} ({Tool}) from another daemon failed")]
        public static partial void RelayFailed(ILogger logger, long connectionId, string requestId, string sessionId, string tool, Exception exception);
    }

    /// <summary>One exai-ws connection's door: its state was made at the upgrade, so a message needs no lookup.</summary>
    private sealed class Door(ExaiWsHandler handler, ExaiWsConnection connection) : IWebSocketDoor
    {
        public ValueTask OnMessageAsync(WebSocketMessage message, CancellationToken cancellationToken) =>
            handler.OnMessageAsync(connection, message, cancellationToken);

        public void OnClosed() => handler.OnClosed(connection);
    }

}
