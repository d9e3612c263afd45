using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;

namespace ExaiFast.Server.Stdio;

// The connection supervisor: connects, says hello, runs the receive loop, reconnects with backoff. It owns the
// connection's lifecycle and hands each live socket to the event loop, which alone sends on it.
internal sealed partial class ExaiWsBackend
{
    private const int MaxFrameBytes = 1024 * 1024 * 1024;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    // A connection that lived this long was a real one: the next reconnect starts again from the shortest delay.
    private static readonly TimeSpan StableConnection = TimeSpan.FromSeconds(5);

    private long _epoch;

    private async Task SuperviseAsync(CancellationToken stop)
    {
        var backoff = _options.MinBackoff;
        long lastAutostart = 0;
        while (!stop.IsCancellationRequested)
        {
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
            socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(10); // a daemon that stops answering pings is gone
            var (outcome, limit) = await ConnectAsync(socket, stop).ConfigureAwait(false);
            switch (outcome)
            {
                case ConnectOutcome.Connected:
                    long epoch = Interlocked.Increment(ref _epoch);
                    long since = _time.GetTimestamp();
                    Post(new ConnectedEvent(epoch, socket, limit)); // the event loop owns and disposes it from now on
                    await ReceiveLoopAsync(socket, epoch, stop).ConfigureAwait(false);
                    Post(new DisconnectedEvent(epoch));
                    if (_time.GetElapsedTime(since) >= StableConnection)
                    {
                        backoff = _options.MinBackoff;
                    }

                    break;
                case ConnectOutcome.Unauthorized:
                    socket.Dispose();
                    Post(new RefusedEvent($"the daemon at {_options.DaemonUri} refused the token (hello: unauthorized): set EXAI_WS_TOKEN for the bridge to the daemon's token"));
                    return; // retrying the same token cannot succeed: don't spin
                case ConnectOutcome.NothingListens when _options.Autostart is { } autostart
                    && (lastAutostart == 0 || _time.GetElapsedTime(lastAutostart) >= _options.AutostartInterval):
                    socket.Dispose();
                    lastAutostart = _time.GetTimestamp();
                    Log.Autostarting(_logger, _options.DaemonUri);
                    try
                    {
                        await autostart(stop).ConfigureAwait(false);
                        backoff = _options.MinBackoff; // it binds within a second: poll fast
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        _lastError = "starting a daemon failed: " + ex.Message;
                        Log.AutostartFailed(_logger, ex);
                    }

                    break;
                default:
                    socket.Dispose();
                    break;
            }

            try
            {
                // Jitter: many bridges that lost the same daemon don't all knock at once when it comes back.
                await Task.Delay(backoff * (0.75 + (Random.Shared.NextDouble() * 0.5)), _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    private async Task<(ConnectOutcome Outcome, int SessionLimit)> ConnectAsync(ClientWebSocket socket, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(_options.DaemonUri, timeout.Token).ConfigureAwait(false);
            var hello = Frame(_options, static (json, o) =>
            {
                json.WriteString("op"u8, "hello");
                if (o.Token.Length > 0)
                {
                    json.WriteString("token"u8, o.Token);
                }

                json.WriteString("session_id"u8, o.SessionId);
            });
            await socket.SendAsync(hello, WebSocketMessageType.Text, endOfMessage: true, timeout.Token).ConfigureAwait(false);
            using var ack = await ReceiveFrameAsync(socket, timeout.Token).ConfigureAwait(false);
            if (ack is null)
            {
                _lastError = $"the daemon closed the connection during the hello ({socket.CloseStatusDescription ?? "no reason"})";
                return ((int?)socket.CloseStatus == 4003 ? ConnectOutcome.Unauthorized : ConnectOutcome.Failed, 0);
            }

            var root = ack.RootElement;
            if (root.TryGetProperty("ok"u8, out var ok) && ok.ValueKind == JsonValueKind.True)
            {
                int limit = root.TryGetProperty("limits"u8, out var limits) && limits.ValueKind == JsonValueKind.Object
                    && limits.TryGetProperty("session_max_inflight"u8, out var l) && l.ValueKind == JsonValueKind.Number && l.TryGetInt32(out int n) ? n : 8;
                _lastError = "connected";
                return (ConnectOutcome.Connected, limit);
            }

            string error = root.TryGetProperty("error"u8, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "no reason";
            _lastError = "hello refused: " + error;
            return (error == "unauthorized" ? ConnectOutcome.Unauthorized : ConnectOutcome.Failed, 0);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or JsonException or OperationCanceledException && !stop.IsCancellationRequested)
        {
            _lastError = ex is OperationCanceledException ? $"no answer within {ConnectTimeout.TotalSeconds:0} s" : Describe(ex);
            Log.ConnectFailed(_logger, _options.DaemonUri, _lastError);
            return (IsConnectionRefused(ex) ? ConnectOutcome.NothingListens : ConnectOutcome.Failed, 0);
        }
        catch (OperationCanceledException)
        {
            return (ConnectOutcome.Failed, 0);
        }
    }

    private async Task ReceiveLoopAsync(ClientWebSocket socket, long epoch, CancellationToken stop)
    {
        try
        {
            while (await ReceiveFrameAsync(socket, stop).ConfigureAwait(false) is { } frame)
            {
                Post(new FrameEvent(epoch, frame)); // the event loop disposes it
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or JsonException or OperationCanceledException or ObjectDisposedException)
        {
            _lastError = ex is OperationCanceledException ? "stopped" : "connection lost: " + Describe(ex);
        }
    }

    /// <summary>The next whole message as JSON, or null when the daemon closed the connection.</summary>
    private static async Task<JsonDocument?> ReceiveFrameAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length >= MaxFrameBytes)
                {
                    throw new WebSocketException(WebSocketError.Faulted, "a frame from the daemon is larger than 1 GiB");
                }

                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(buffer.AsMemory(0, length)); // the document keeps the array; nothing reuses it
            }
        }
    }

    private static bool IsConnectionRefused(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(Exception ex)
    {
        var innermost = ex;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost.Message;
    }

    private enum ConnectOutcome
    {
        Connected,
        Unauthorized,
        NothingListens,
        Failed,
    }
}
