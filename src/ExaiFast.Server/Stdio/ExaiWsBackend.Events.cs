using System.Net.WebSockets;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Mcp;

namespace ExaiFast.Server.Stdio;

// The event loop: the only code that reads or writes the state below, and the only sender on the socket.
internal sealed partial class ExaiWsBackend
{
    /// <summary>What the bridge's own failures are called in a tool error (the daemon never sends it).</summary>
    public const string DaemonUnavailable = "DAEMON_UNAVAILABLE";

    private readonly Dictionary<string, PendingCall> _calls = new(StringComparer.Ordinal);
    private readonly Queue<PendingCall> _queued = new();
    private readonly Dictionary<string, PendingList> _lists = new(StringComparer.Ordinal);
    private ClientWebSocket? _socket;
    private long _socketEpoch;
    private bool _socketBroken;
    private int _sessionLimit = 1;
    private int _atDaemon; // calls holding one of the session's slots at the daemon (Sent, CancelSent)
    private string? _refusal; // the daemon refused our hello (wrong token): every call fails with this, at once
    private bool _shutDown;

    private bool IsConnected => _socket is not null && !_socketBroken;

    private async Task RunAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                try
                {
                    await HandleAsync(e).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.EventFailed(_logger, ex); // one bad frame must not stop the bridge
                }
            }
        }
    }

    private async ValueTask HandleAsync(Event e)
    {
        switch (e)
        {
            case CallEvent c:
                await OnCallAsync(c.Call).ConfigureAwait(false);
                break;
            case CancelEvent c:
                await OnCancelAsync(c.RequestId).ConfigureAwait(false);
                break;
            case ListEvent l:
                await OnListAsync(l.List).ConfigureAwait(false);
                break;
            case FrameEvent f:
                using (f.Frame)
                {
                    if (f.Epoch == _socketEpoch)
                    {
                        await OnFrameAsync(f.Frame.RootElement).ConfigureAwait(false);
                    }
                }

                break;
            case ConnectedEvent c:
                await OnConnectedAsync(c).ConfigureAwait(false);
                break;
            case DisconnectedEvent d:
                OnDisconnected(d.Epoch);
                break;
            case RefusedEvent r:
                OnRefused(r.Message);
                break;
            case TickEvent:
                OnTick();
                break;
            case ShutdownEvent s:
                await OnShutdownAsync(s.Done).ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask OnCallAsync(PendingCall call)
    {
        if (_refusal is not null || _shutDown)
        {
            call.Session.Answer(call.Request, CallResult.Failed(_refusal is null ? ErrorCodes.Cancelled : ErrorCodes.Unauthorized, _refusal ?? "the bridge is shutting down"));
            return;
        }

        if (_queued.Count >= _options.CallerQueueDepth && !(IsConnected && _atDaemon < _sessionLimit))
        {
            call.Session.Answer(call.Request, CallResult.Failed(ErrorCodes.OverCapacity,
                $"{_queued.Count} calls already wait in the stdio bridge (EXAIFAST_SESSION_QUEUE_DEPTH)", retryAfter: 1));
            return;
        }

        call.WaitingSince = _time.GetTimestamp();
        _calls[call.RequestId] = call;
        _queued.Enqueue(call);
        await PumpAsync().ConfigureAwait(false);
    }

    /// <summary>Sends queued calls while the session has free slots at the daemon.</summary>
    private async ValueTask PumpAsync()
    {
        while (IsConnected && _atDaemon < _sessionLimit && _queued.TryDequeue(out var call))
        {
            if (call.State != PendingCallState.Queued)
            {
                continue; // cancelled or answered while it waited
            }

            call.State = PendingCallState.Sent;
            _atDaemon++;
            await SendAsync(call.Frame).ConfigureAwait(false);
        }
    }

    private async ValueTask OnCancelAsync(string requestId)
    {
        if (!_calls.TryGetValue(requestId, out var call))
        {
            return; // answered already
        }

        switch (call.State)
        {
            case PendingCallState.Queued:
                Forget(call); // never reached the daemon
                break;
            case PendingCallState.Sent when IsConnected:
                call.State = PendingCallState.CancelSent;
                await SendAsync(Frame(requestId, static (json, id) =>
                {
                    json.WriteString("op"u8, "cancel");
                    json.WriteString("request_id"u8, id);
                })).ConfigureAwait(false);
                break;
            case PendingCallState.Sent:
                call.State = PendingCallState.CancelOnReconnect;
                break;
        }
    }

    private async ValueTask OnListAsync(PendingList list)
    {
        if (_refusal is not null)
        {
            list.Reply.Respond(McpMessages.Error(list.RawId, McpMessages.InternalError, _refusal));
            return;
        }

        list.WaitingSince = _time.GetTimestamp();
        _lists[list.RequestId] = list;
        if (IsConnected)
        {
            await SendAsync(list.Frame).ConfigureAwait(false);
        }
    }

    private async ValueTask OnConnectedAsync(ConnectedEvent connected)
    {
        if (_shutDown)
        {
            connected.Socket.Abort(); // a reconnect that raced the bridge's end: nothing more to say to the daemon
            return;
        }

        _socket = connected.Socket;
        _socketEpoch = connected.Epoch;
        _socketBroken = false;
        _sessionLimit = Math.Max(1, connected.SessionLimit);
        _atDaemon = 0;

        // What was at the daemon goes again, oldest first: the same request_id attaches to the running call, or gets
        // its stored result if it ended while we were away (PROTOCOL.md, Idempotency). A call cancelled meanwhile gets
        // its cancel instead.
        int resent = 0;
        foreach (var call in _calls.Values.OrderBy(c => c.Request.Sequence).ToList())
        {
            if (call.State == PendingCallState.Sent)
            {
                _atDaemon++;
                resent++;
                await SendAsync(call.Frame).ConfigureAwait(false);
            }
            else if (call.State is PendingCallState.CancelOnReconnect or PendingCallState.CancelSent)
            {
                call.State = PendingCallState.CancelSent;
                _atDaemon++;
                await SendAsync(Frame(call.RequestId, static (json, id) =>
                {
                    json.WriteString("op"u8, "cancel");
                    json.WriteString("request_id"u8, id);
                })).ConfigureAwait(false);
            }
        }

        foreach (var list in _lists.Values.ToList())
        {
            await SendAsync(list.Frame).ConfigureAwait(false);
        }

        Log.Connected(_logger, _options.DaemonUri, _options.SessionId, connected.Epoch, resent);
        await PumpAsync().ConfigureAwait(false);
    }

    private void OnDisconnected(long epoch)
    {
        if (epoch != _socketEpoch || _socket is null)
        {
            return;
        }

        _socket.Dispose();
        _socket = null;
        if (!_shutDown)
        {
            Log.Disconnected(_logger, _options.DaemonUri);
        }

        // Deadlines while disconnected count from now: a call that was running gets the whole wait to be collected.
        long now = _time.GetTimestamp();
        foreach (var call in _calls.Values)
        {
            call.WaitingSince = now;
        }

        foreach (var list in _lists.Values)
        {
            list.WaitingSince = now;
        }
    }

    private void OnRefused(string message)
    {
        _refusal = message;
        Log.Refused(_logger, _options.DaemonUri, message);
        foreach (var call in _calls.Values.ToList())
        {
            Answer(call, CallResult.Failed(ErrorCodes.Unauthorized, message));
        }

        foreach (var list in _lists.Values.ToList())
        {
            _lists.Remove(list.RequestId);
            list.Reply.Respond(McpMessages.Error(list.RawId, McpMessages.InternalError, message));
        }
    }

    private void OnTick()
    {
        long now = _time.GetTimestamp();
        if (!IsConnected)
        {
            string why = $"no exaifast daemon answered at {_options.DaemonUri} within {_options.ConnectWait.TotalSeconds:0.###} s ({_lastError}); "
                + "start one with 'exaifast serve', or run the bridge with --autostart or --in-process";
            foreach (var call in _calls.Values.ToList())
            {
                if (_time.GetElapsedTime(call.WaitingSince, now) >= _options.ConnectWait)
                {
                    Answer(call, CallResult.Failed(DaemonUnavailable, why));
                }
            }

            foreach (var list in _lists.Values.ToList())
            {
                if (_time.GetElapsedTime(list.WaitingSince, now) >= _options.ConnectWait)
                {
                    _lists.Remove(list.RequestId);
                    list.Reply.Respond(McpMessages.Error(list.RawId, McpMessages.InternalError, why));
                }
            }

            return;
        }

        // Connected, but waiting for a slot of the session: the call's deadline still runs, as in the daemon's own queue.
        foreach (var call in _queued)
        {
            if (call.State == PendingCallState.Queued && _time.GetElapsedTime(call.WaitingSince, now) >= _options.CallTimeout)
            {
                Answer(call, CallResult.Failed(ErrorCodes.Timeout, $"the call waited {_options.CallTimeout.TotalSeconds:0.###} s for a free slot of the session"));
            }
        }
    }

    private async ValueTask OnShutdownAsync(TaskCompletionSource done)
    {
        _shutDown = true;
        try
        {
            if (_socket is { } socket && !_socketBroken)
            {
                // The daemon reads in order: the cancels sent before this close are handled before it.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bridge closed", timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the daemon is gone already
        }
        finally
        {
            done.TrySetResult();
        }
    }

    private async ValueTask OnFrameAsync(JsonElement frame)
    {
        if (frame.ValueKind != JsonValueKind.Object || !frame.TryGetProperty("op"u8, out var op) || op.ValueKind != JsonValueKind.String)
        {
            return;
        }

        string? requestId = frame.TryGetProperty("request_id"u8, out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        if (requestId is null)
        {
            return; // nothing of ours: every frame about a request carries its request_id
        }

        if (op.ValueEquals("progress"u8))
        {
            if (_calls.TryGetValue(requestId, out var call) && call.State == PendingCallState.Sent)
            {
                call.Session.Progress(call.Request, ProgressOf(frame));
            }
        }
        else if (op.ValueEquals("call_tool_res"u8))
        {
            if (_calls.TryGetValue(requestId, out var call))
            {
                OnResult(call, frame);
                await PumpAsync().ConfigureAwait(false);
            }
        }
        else if (op.ValueEquals("cancelled"u8))
        {
            // The daemon freed the call's slot before saying so; its CANCELLED result (if it follows) is ignored.
            if (_calls.TryGetValue(requestId, out var call) && call.State == PendingCallState.CancelSent)
            {
                Forget(call);
                await PumpAsync().ConfigureAwait(false);
            }
        }
        else if (op.ValueEquals("error"u8))
        {
            if (_calls.TryGetValue(requestId, out var call))
            {
                // A cancel that came too late ("no call in flight"), or a frame the daemon failed to handle.
                Answer(call, ErrorOf(frame));
                await PumpAsync().ConfigureAwait(false);
            }
            else if (_lists.Remove(requestId, out var list))
            {
                var error = ErrorOf(frame).Error!;
                list.Reply.Respond(list.Failed?.Invoke(error.Code, error.Message)
                    ?? McpMessages.Error(list.RawId, McpMessages.InternalError, $"{error.Code}: {error.Message}"));
            }
        }
        else if (op.ValueEquals("list_tools_res"u8))
        {
            if (_lists.Remove(requestId, out var list))
            {
                if (!frame.TryGetProperty("tools"u8, out var tools) || tools.ValueKind != JsonValueKind.Array)
                {
                    list.Reply.Respond(McpMessages.Error(list.RawId, McpMessages.InternalError, "the daemon's list_tools_res has no tools"));
                }
                else if (list.Answer is { } answer)
                {
                    Respond(list, answer(frame)); // prompts, made from the daemon's tools
                }
                else
                {
                    list.Reply.Respond(McpMessages.ToolsList(list.RawId, tools, list.Dialect, McpCache.Relayed));
                }
            }
        }

        else if (op.ValueEquals("list_threads_res"u8) || op.ValueEquals("read_thread_res"u8))
        {
            if (_lists.Remove(requestId, out var list) && list.Answer is { } answer)
            {
                Respond(list, answer(frame));
            }
        }

        // call_tool_ack, stream_chunk (MCP has no streamed output: the result carries the whole text), pong: nothing to do.
    }

    private void OnResult(PendingCall call, JsonElement frame)
    {
        if (frame.TryGetProperty("ok"u8, out var ok) && ok.ValueKind == JsonValueKind.True)
        {
            string? text = frame.TryGetProperty("text"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            bool hasMetrics = frame.TryGetProperty("metrics"u8, out var metrics) && metrics.ValueKind == JsonValueKind.Object;
            Answer(call, new CallResult
            {
                Text = text ?? "",
                Content = frame.TryGetProperty("outputs"u8, out var outputs) ? ContentOf(outputs) : null,
                ContinuationId = frame.TryGetProperty("continuation_id"u8, out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null,
                Provider = hasMetrics && metrics.TryGetProperty("provider"u8, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null,
                Model = hasMetrics && metrics.TryGetProperty("model"u8, out var mo) && mo.ValueKind == JsonValueKind.String ? mo.GetString() : null,
                Usage = hasMetrics && metrics.TryGetProperty("input_tokens"u8, out var input) && input.TryGetInt64(out long inTokens)
                    && metrics.TryGetProperty("output_tokens"u8, out var output) && output.TryGetInt64(out long outTokens)
                    ? new TokenCounts(inTokens, outTokens) : null,
            });
            return;
        }

        var result = ErrorOf(frame);
        if (result.Error!.Code == ErrorCodes.ToolNotFound && call.State == PendingCallState.Sent)
        {
            // As the in-process backend answers an unknown tool: a protocol fault, not a tool error.
            Forget(call);
            call.Session.Reject(call.Request, McpMessages.InvalidParams, $"Unknown tool: {McpProtocol.Truncate(call.Name)}{DisabledTool.NoteIn(result.Error.Message)}");
            return;
        }

        Answer(call, result);
    }

    /// <summary>Ends the call with <paramref name="result"/> (success or failure); nothing is sent if the client cancelled it.</summary>
    private void Answer(PendingCall call, CallResult result)
    {
        bool answer = call.State is PendingCallState.Queued or PendingCallState.Sent;
        Forget(call);
        if (answer)
        {
            call.Session.Answer(call.Request, result);
        }
    }

    private void Forget(PendingCall call)
    {
        if (call.State is PendingCallState.Sent or PendingCallState.CancelSent)
        {
            _atDaemon--;
        }

        call.State = PendingCallState.Done;
        _calls.Remove(call.RequestId);
    }

    /// <summary>
    /// The items of a rich result's <c>outputs</c> (images, audio, embedded resources, several texts); null for the usual
    /// single text item, or when an item is not one this bridge can pass on as it came (then the text alone answers).
    /// </summary>
    private static List<ContentItem>? ContentOf(JsonElement outputs)
    {
        if (outputs.ValueKind != JsonValueKind.Array || outputs.GetArrayLength() == 0
            || (outputs.GetArrayLength() == 1 && outputs[0].ValueKind == JsonValueKind.Object && outputs[0].TryGetProperty("type"u8, out var only) && only.ValueEquals("text"u8)))
        {
            return null;
        }

        var items = new List<ContentItem>(outputs.GetArrayLength());
        try
        {
            foreach (var item in outputs.EnumerateArray())
            {
                string? type = Str(item, "type"u8);
                items.Add(type switch
                {
                    "text" => ContentItem.FromText(Str(item, "text"u8)!),
                    "image" => ContentItem.FromImage(Str(item, "data"u8)!, Str(item, "mimeType"u8)!),
                    "audio" => ContentItem.FromAudio(Str(item, "data"u8)!, Str(item, "mimeType"u8)!),
                    "resource" when item.TryGetProperty("resource"u8, out var r) && Str(r, "text"u8) is { } text =>
                        ContentItem.FromResourceText(Str(r, "uri"u8)!, Str(r, "mimeType"u8)!, text),
                    "resource" when item.TryGetProperty("resource"u8, out var r) =>
                        ContentItem.FromResourceBlob(Str(r, "uri"u8)!, Str(r, "mimeType"u8)!, Str(r, "blob"u8)!),
                    _ => throw new ArgumentException($"unknown output type {type}"),
                });
            }
        }
        catch (ArgumentException)
        {
            return null; // a malformed item (or a newer daemon's kind): the text items still answer, joined in "text"
        }

        return items;

        static string? Str(JsonElement element, ReadOnlySpan<byte> name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>A <c>progress</c> frame as the tool reported it: its message, and its measure when it gave one.</summary>
    private static ProgressReport ProgressOf(JsonElement frame) => new(
        frame.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null,
        frame.TryGetProperty("progress"u8, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null,
        frame.TryGetProperty("total"u8, out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null);

    private static CallResult ErrorOf(JsonElement frame)
    {
        if (frame.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object)
        {
            string code = error.TryGetProperty("code"u8, out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : ErrorCodes.InternalError;
            string message = error.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "the daemon gave no message";
            double? retry = error.TryGetProperty("retry_after"u8, out var r) && r.ValueKind == JsonValueKind.Number ? r.GetDouble() : null;
            return CallResult.Failed(code, message, retry);
        }

        return CallResult.Failed(ErrorCodes.InternalError, "the daemon's reply has no error object");
    }

    private async ValueTask SendAsync(byte[] frame)
    {
        if (!IsConnected)
        {
            return; // sent again (or for the first time) on the next connection
        }

        try
        {
            await _socket!.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The receive loop sees the same failure and reports the disconnect; until then send nothing more.
            _socketBroken = true;
            _socket!.Abort();
        }
    }
}
