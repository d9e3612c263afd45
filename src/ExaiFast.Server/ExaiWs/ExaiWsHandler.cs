using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Core.Tools;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.ExaiWs;

/// <summary>
/// The exai-ws front door (PROTOCOL.md): hello, list_tools, call_tool, cancel, ping, health, rotate_token.
/// </summary>
/// <remarks>
/// Runs on each connection's reader loop and never waits for the work queue: admission is <see cref="Dispatcher.Submit"/>,
/// which answers at once, so control ops (cancel, ping, list_tools, health) are answered even when every worker is busy.
/// One instance serves all connections; per-connection state is an <see cref="ExaiWsConnection"/>.
/// </remarks>
public sealed partial class ExaiWsHandler : IWebSocketHandler, IDaemonStatus, IAsyncDisposable
{
    private readonly ExaiWsOptions _options;
    private readonly Dispatcher _dispatcher;
    private readonly IToolCatalog _tools;
    private readonly Func<IReadOnlyDictionary<string, bool>> _providers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _maxBytes;
    private readonly TokenGuard _token;
    private readonly SessionTracker _sessions;
    private readonly ConcurrentDictionary<ExaiWsConnection, byte> _awaitingHello = new();
    private readonly ConcurrentDictionary<ExaiWsConnection, byte> _open = new();
    private readonly PeriodicTimer _helloTimer;
    private readonly Task _helloWatch;
    private readonly long _startedAt;
    private readonly long _helloTicks;

    /// <summary>Creates the front door.</summary>
    /// <param name="options">Token, hello timeout, disconnect grace.</param>
    /// <param name="dispatcher">Where calls go.</param>
    /// <param name="tools">The tools.</param>
    /// <param name="providers">Provider availability for <c>health</c>.</param>
    /// <param name="maxMessageBytes">Announced in <c>hello_ack.limits.max_bytes</c>.</param>
    /// <param name="sessionMaxInflight">Announced in <c>hello_ack.limits.session_max_inflight</c>.</param>
    /// <param name="time">Clock.</param>
    /// <param name="logger">Log.</param>
    public ExaiWsHandler(ExaiWsOptions options, Dispatcher dispatcher, IToolCatalog tools, Func<IReadOnlyDictionary<string, bool>> providers,
        long maxMessageBytes, int sessionMaxInflight, TimeProvider time, ILogger logger)
    {
        _options = options;
        _dispatcher = dispatcher;
        _tools = tools;
        _providers = providers;
        _time = time;
        _logger = logger;
        _maxBytes = maxMessageBytes;
        SessionMaxInflight = sessionMaxInflight;
        _token = new TokenGuard(options.Token);
        _sessions = new SessionTracker(dispatcher, options.DisconnectGrace, time);
        _startedAt = time.GetTimestamp();
        _helloTicks = (long)(options.HelloTimeout.TotalSeconds * time.TimestampFrequency);
        _helloTimer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(options.HelloTimeout.TotalMilliseconds / 4, 10, 1000)), time);
        _helloWatch = WatchHellosAsync();
    }

    private int SessionMaxInflight { get; }

    /// <inheritdoc />
    public double UptimeSeconds => _time.GetElapsedTime(_startedAt).TotalSeconds;

    /// <inheritdoc />
    public int Connections => _open.Count;

    /// <inheritdoc />
    public int Sessions => _sessions.Count;

    /// <inheritdoc />
    public int Inflight => _dispatcher.Inflight;

    /// <inheritdoc />
    public int Queued => _dispatcher.Queued;

    /// <inheritdoc />
    public int Capacity => _dispatcher.Capacity;

    /// <inheritdoc />
    public void OnOpened(IWebSocketSession session)
    {
        if (session.Subprotocol == WebSocketHandshake.McpSubprotocol)
        {
            // Negotiated so that an MCP client learns why, instead of failing on exai-ws's missing hello.
            session.Close(CloseCodes.InternalError, "MCP over WebSocket is not available yet; use exai-ws (no subprotocol)");
            return;
        }

        var connection = new ExaiWsConnection(session, _time.GetTimestamp() + _helloTicks, _time);
        session.HandlerState = connection;
        _open[connection] = 0;
        _awaitingHello[connection] = 0;
    }

    /// <inheritdoc />
    public async ValueTask OnMessageAsync(IWebSocketSession session, WebSocketMessage message, CancellationToken cancellationToken)
    {
        if (session.HandlerState is not ExaiWsConnection connection)
        {
            message.Payload.Return(); // a connection being closed at open (MCP) may still deliver a frame
            return;
        }

        JsonDocument? document = null;
        try
        {
            try
            {
                // The document reads the pooled payload in place; both live until the finally below.
                document = JsonDocument.Parse(message.Payload.Memory, new JsonDocumentOptions { MaxDepth = 64 });
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
            string? op = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("op", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
            if (!connection.HelloDone)
            {
                await HelloAsync(connection, root, op).ConfigureAwait(false);
                return;
            }

            string? requestId = RequestIdOf(root);
            switch (op)
            {
                case "call_tool":
                    await CallToolAsync(connection, root, requestId ?? Guid.NewGuid().ToString("N")).ConfigureAwait(false);
                    break;
                case "cancel":
                    await CancelAsync(connection, requestId).ConfigureAwait(false);
                    break;
                case "list_tools":
                    await SendAsync(session, ExaiWsFrames.ListTools(requestId, _tools)).ConfigureAwait(false);
                    break;
                case "ping":
                    await SendAsync(session, ExaiWsFrames.Pong(requestId)).ConfigureAwait(false);
                    break;
                case "health":
                    await SendAsync(session, ExaiWsFrames.Health(requestId, this, _tools.All.Count, _providers())).ConfigureAwait(false);
                    break;
                case "rotate_token":
                    await RotateTokenAsync(connection, root, requestId).ConfigureAwait(false);
                    break;
                case "hello":
                    await SendAsync(session, ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, "already said hello")).ConfigureAwait(false);
                    break;
                case null:
                    await SendAsync(session, ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest,
                        root.ValueKind == JsonValueKind.Object ? "frame has no string 'op'" : "frame is not a JSON object")).ConfigureAwait(false);
                    break;
                default:
                    await SendAsync(session, ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, $"unknown op: {Truncate(op)}")).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug in handling one frame must not take the connection (and its other calls) down with it.
            Log.FrameFailed(_logger, session.ConnectionId, ex);
            await SendAsync(session, ExaiWsFrames.Error(document is null ? null : RequestIdOf(document.RootElement), ErrorCodes.InternalError,
                "the daemon failed to handle this frame; see its log")).ConfigureAwait(false);
        }
        finally
        {
            document?.Dispose();
            message.Payload.Return();
        }
    }

    /// <inheritdoc />
    public void OnClosed(IWebSocketSession session)
    {
        if (session.HandlerState is not ExaiWsConnection connection)
        {
            return;
        }

        _open.TryRemove(connection, out _);
        _awaitingHello.TryRemove(connection, out _);
        if (connection.SessionId is { } sessionId)
        {
            _dispatcher.Detach(connection, connection.Calls.ToArray());
            _sessions.Left(sessionId);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _helloTimer.Dispose();
        await _helloWatch.ConfigureAwait(false);
    }

    private async Task HelloAsync(ExaiWsConnection connection, JsonElement root, string? op)
    {
        if (op != "hello")
        {
            await RefuseHelloAsync(connection, "missing_hello", CloseCodes.MissingHello, "first frame must be a hello").ConfigureAwait(false);
            return;
        }

        string? token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (!_token.Check(token))
        {
            Log.Unauthorized(_logger, connection.Socket.ConnectionId); // never the token itself
            await RefuseHelloAsync(connection, "unauthorized", CloseCodes.Unauthorized, "unauthorized").ConfigureAwait(false);
            return;
        }

        string? requested = root.TryGetProperty("session_id", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        string sessionId = requested is not null && IsValidSessionId(requested) ? requested : Guid.NewGuid().ToString("N");
        connection.SessionId = sessionId;
        _awaitingHello.TryRemove(connection, out _);
        _sessions.Joined(sessionId);
        await SendAsync(connection.Socket, ExaiWsFrames.HelloAck(sessionId, ServerInfo.Version, _maxBytes, SessionMaxInflight)).ConfigureAwait(false);
    }

    private async Task RefuseHelloAsync(ExaiWsConnection connection, string error, ushort closeCode, string reason)
    {
        _awaitingHello.TryRemove(connection, out _);
        await SendAsync(connection.Socket, ExaiWsFrames.HelloFailed(error)).ConfigureAwait(false);
        connection.Socket.Close(closeCode, reason);
    }

    private async Task CallToolAsync(ExaiWsConnection connection, JsonElement root, string requestId)
    {
        var session = connection.Socket;
        if (!root.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String || n.GetString()!.Length == 0)
        {
            await SendAsync(session, ExaiWsFrames.Refused(requestId, new CallError(ErrorCodes.InvalidRequest, "call_tool needs a string 'name'"))).ConfigureAwait(false);
            return;
        }

        string name = n.GetString()!;
        if (!_tools.TryGet(name, out var tool))
        {
            await SendAsync(session, ExaiWsFrames.Refused(requestId, new CallError(ErrorCodes.ToolNotFound, $"no tool named '{Truncate(name)}'"))).ConfigureAwait(false);
            return;
        }

        JsonElement arguments = root.TryGetProperty("arguments", out var a) && a.ValueKind != JsonValueKind.Null ? a : EmptyObject;
        var validation = tool.Validate(arguments);
        if (validation.Error is { } invalid)
        {
            await SendAsync(session, ExaiWsFrames.Refused(requestId, new CallError(ErrorCodes.InvalidArguments, invalid))).ConfigureAwait(false);
            return;
        }

        bool stream = arguments.TryGetProperty("stream", out var st) && st.ValueKind == JsonValueKind.True;
        var key = new CallKey(connection.SessionId!, requestId);
        if (connection.IsWaitingFor(key) && _dispatcher.TryGetCall(key, out var running))
        {
            // The same request again on the same connection: it is already attached; one result will come.
            await SendAsync(session, ExaiWsFrames.Ack(requestId, tool.Name, running.Timeout)).ConfigureAwait(false);
            return;
        }

        connection.Park(key);
        var submitted = _dispatcher.Submit(new CallRequest(key, tool, arguments, validation.Lane!, stream), connection);
        switch (submitted.Status)
        {
            case SubmitStatus.Accepted or SubmitStatus.Attached or SubmitStatus.Coalesced:
                connection.Release(key, ExaiWsFrames.Ack(requestId, tool.Name, submitted.Call!.Timeout), track: true);
                break;
            default:
                connection.Release(key, ExaiWsFrames.Result(requestId, submitted.Result!), track: false);
                break;
        }
    }

    private async Task CancelAsync(ExaiWsConnection connection, string? requestId)
    {
        if (requestId is null)
        {
            await SendAsync(connection.Socket, ExaiWsFrames.Error(null, ErrorCodes.InvalidRequest, "cancel needs a 'request_id'")).ConfigureAwait(false);
            return;
        }

        var result = _dispatcher.Cancel(new CallKey(connection.SessionId!, requestId));
        if (!result.Found)
        {
            await SendAsync(connection.Socket, ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, "no call in flight with that request_id")).ConfigureAwait(false);
            return;
        }

        await SendAsync(connection.Socket, ExaiWsFrames.Cancelled(requestId, result.WasRunning)).ConfigureAwait(false);
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

    private static ValueTask SendAsync(IWebSocketSession session, PooledBuffer frame) => session.SendAsync(WebSocketOpcode.Text, frame);

    private static string? RequestIdOf(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (!root.TryGetProperty("request_id", out var id) && !root.TryGetProperty("id", out id))
        {
            return null;
        }

        return id.ValueKind switch
        {
            JsonValueKind.String => id.GetString(),
            JsonValueKind.Number => id.GetRawText(),
            _ => null,
        };
    }

    private static bool IsValidSessionId(string id) =>
        id.Length is >= 3 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Warning, "Connection {ConnectionId}: hello with a wrong token")]
        public static partial void Unauthorized(ILogger logger, long connectionId);

        [LoggerMessage(201, LogLevel.Information, "Connection {ConnectionId} rotated the token")]
        public static partial void TokenRotated(ILogger logger, long connectionId);

        [LoggerMessage(202, LogLevel.Error, "Connection {ConnectionId}: handling a frame failed")]
        public static partial void FrameFailed(ILogger logger, long connectionId, Exception exception);
    }
}
