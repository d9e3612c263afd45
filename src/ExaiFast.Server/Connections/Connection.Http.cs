using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using ExaiFast.Server.Http;
using ExaiFast.Server.Logging;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Connections;

internal sealed partial class Connection
{
    private CancellationTokenSource? _requestAborted;
    private HttpEventStream? _eventStream;
    private long _flushStarted; // timestamp of a response flush under way, 0 when none (the write-stall rule)

    internal PipeWriter HttpOutput => _output;

    internal long Timestamp() => _ctx.Time.GetTimestamp();

    internal void CountSent(long bytes) => _ctx.Metrics.BytesSent.Inc(bytes);

    /// <summary>Answers HTTP requests until one upgrades (returned) or the connection should end (null).</summary>
    /// <remarks>
    /// The first head is timed from accept, each later one from its first byte, both by the handshake timeout; the wait
    /// for that first byte is the keep-alive timeout. Nothing restarts a deadline on a partial read (issue 12).
    /// </remarks>
    private async Task<HttpRequestHead?> ProcessHttpAsync()
    {
        bool idle = false;
        while (true)
        {
            if (idle)
            {
                EnterPhase(ConnectionPhase.HttpIdle);
                Interlocked.MemoryBarrier(); // pairs with BeginShutdown: it sees the idle phase, or we see its flag
                if (Volatile.Read(ref _shutdownRequested) != 0)
                {
                    return null;
                }
            }

            var (status, head, error) = await ReadHeadAsync(idle).ConfigureAwait(false);
            idle = true;
            switch (status)
            {
                case HttpHeadStatus.Incomplete:
                    return null; // peer closed, or the connection was aborted
                case HttpHeadStatus.TooLarge:
                    await RespondErrorAsync("other", 431, "request head too large").ConfigureAwait(false);
                    return null;
                case HttpHeadStatus.BadRequest:
                    await RespondErrorAsync("other", 400, error ?? "bad request").ConfigureAwait(false);
                    return null;
            }

            if (ServerContext.IsWebSocketPath(head!.Path))
            {
                return await TryAcceptUpgradeAsync(head).ConfigureAwait(false);
            }

            if (!_ctx.Endpoints.TryGetValue(head.Path, out var endpoint))
            {
                // The body (if any) is not read: closing is the only safe way past it.
                await RespondErrorAsync("other", 404, "not found", headOnly: head.Method == "HEAD").ConfigureAwait(false);
                return null;
            }

            if (!await ServeAsync(endpoint, head).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    // Once per request, and it waits for the peer: a pooled state machine instead of one allocated each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(HttpHeadStatus Status, HttpRequestHead? Head, string? Error)> ReadHeadAsync(bool idle)
    {
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                _input.AdvanceTo(buffer.Start);
                if (Volatile.Read(ref _aborted) != 0)
                {
                    return (HttpHeadStatus.Incomplete, null, null);
                }

                continue; // a late stop of the input watch (see StopWatchAsync): nothing to act on
            }

            if (idle && !buffer.IsEmpty)
            {
                idle = false;
                EnterPhase(ConnectionPhase.HttpHead); // the head's deadline runs from its first byte, once
            }

            var status = HttpHeadParser.TryParse(buffer, _ctx.Options.MaxRequestHeadBytes, out var head, out var consumed, out string? error);
            if (status == HttpHeadStatus.Incomplete)
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return (HttpHeadStatus.Incomplete, null, null);
                }

                continue;
            }

            _ctx.Metrics.BytesReceived.Inc(buffer.Slice(0, consumed).Length);

            // Examined only up to the head: a body, pipelined requests, or frames sent with the handshake are already here.
            _input.AdvanceTo(consumed);
            return (status, head, error);
        }
    }

    /// <summary>Reads the body, runs the endpoint, and says whether the connection serves another request.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ServeAsync(IHttpEndpoint endpoint, HttpRequestHead head)
    {
        string route = head.Path[1..];
        var framing = HttpBodyFraming.From(head);
        if (!framing.IsValid)
        {
            await RespondErrorAsync(route, framing.Status, framing.Error!).ConfigureAwait(false);
            return false;
        }

        long maxBody = _ctx.Options.EffectiveMaxRequestBodyBytes;
        if (framing.Kind == HttpBodyKind.ContentLength && framing.Length > maxBody)
        {
            await RespondErrorAsync(route, 413, "request body too large").ConfigureAwait(false); // nothing of it read
            return false;
        }

        if (endpoint.Screen(head) is { } refusal)
        {
            int n = HttpResponseWriter.Write(_output, refusal.Status, refusal.ContentType, refusal.Body, close: true, refusal.ExtraHeaders, head.Method == "HEAD");
            _ctx.Metrics.HttpRequests.WithLabels(route, refusal.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            CountSent(n);
            await FlushHttpAsync().ConfigureAwait(false);
            return false; // its body, if any, is never read
        }

        // Expect (RFC 9110 §10.1.1): only 100-continue exists; answer it before reading, never leave the client waiting.
        string? expect = head["Expect"];
        if (expect is not null && !expect.Trim().Equals("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            await RespondErrorAsync(route, 417, "only Expect: 100-continue is understood").ConfigureAwait(false);
            return false;
        }

        // A big body takes inbound budget for its whole length before any of it is read (issue 14), and before the 100
        // that would let the client send it; one that gets none in time is refused with 503.
        if (framing.Kind == HttpBodyKind.ContentLength && framing.Length > InboundBudget.SmallMessageBytes
            && !await ReserveBodyBudgetAsync(framing.Length, route).ConfigureAwait(false))
        {
            return false;
        }

        if (expect is not null && framing.Kind != HttpBodyKind.None && head.MinorVersion == 1)
        {
            CountSent(HttpResponseWriter.WriteContinue(_output));
            await FlushHttpAsync().ConfigureAwait(false);
        }

        PooledBuffer body = default;
        if (framing.Kind != HttpBodyKind.None)
        {
            var (outcome, read) = await ReadBodyAsync(framing, maxBody).ConfigureAwait(false);
            body = read;
            switch (outcome)
            {
                case BodyOutcome.Complete:
                    break;
                case BodyOutcome.TooLarge:
                    await RespondErrorAsync(route, 413, "request body too large").ConfigureAwait(false);
                    return false;
                case BodyOutcome.Malformed:
                    await RespondErrorAsync(route, 400, _bodyError ?? "malformed chunked body").ConfigureAwait(false);
                    return false;
                case BodyOutcome.TimedOut:
                    await RespondErrorAsync(route, 408, "request body not received in time").ConfigureAwait(false);
                    return false;
                case BodyOutcome.NoBudget:
                    await RespondNoBudgetAsync(route).ConfigureAwait(false);
                    return false;
                default:
                    return false; // the peer closed inside the body, or the connection was aborted
            }
        }

        // The body is given back when the endpoint is done, unless the endpoint took it (a call reading it in place).
        var aborted = _requestAborted ??= new CancellationTokenSource();
        bool keepAlive = head.KeepAlive && Volatile.Read(ref _shutdownRequested) == 0;
        var exchange = new HttpExchange(this, head, body, route, keepAlive, aborted.Token);
        try
        {
            return await RunEndpointAsync(endpoint, exchange, aborted).ConfigureAwait(false);
        }
        finally
        {
            exchange.ReturnBody();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> RunEndpointAsync(IHttpEndpoint endpoint, HttpExchange exchange, CancellationTokenSource aborted)
    {
        var head = exchange.Request;
        EnterPhase(ConnectionPhase.HttpServing);
        if (Volatile.Read(ref _aborted) != 0)
        {
            aborted.Cancel(); // aborted between the body and here: CancelRequest found nothing to cancel
        }

        Task<bool>? watch = null;
        try
        {
            var handling = endpoint.HandleAsync(exchange);
            if (!handling.IsCompleted)
            {
                // Only an endpoint that waits (a call that takes time) needs to hear of a peer that goes away meanwhile;
                // one that answered at once (a 0 ms call, a status page) has nobody to tell, and skips the read and its stop.
                watch = WatchInputAsync(aborted);
            }

            await handling.ConfigureAwait(false);
            if (!exchange.HasResponded && aborted.IsCancellationRequested)
            {
                exchange.KeepAlive = false; // the peer went away (or the connection was aborted): nobody to answer
            }
            else if (!exchange.HasResponded)
            {
                ServerLog.EndpointDidNotRespond(_ctx.Logger, Id, head.Path);
                await exchange.RespondAsync(500, "text/plain; charset=utf-8", "internal server error\n"u8.ToArray()).ConfigureAwait(false);
            }
            else if (exchange.EventStream is { IsCompleted: false } stream)
            {
                await stream.CompleteAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            bool aborting = Volatile.Read(ref _aborted) != 0;
            if (!(aborting && IsConnectionError(ex)) && !(ex is OperationCanceledException && aborted.IsCancellationRequested))
            {
                ServerLog.EndpointFailed(_ctx.Logger, Id, head.Path, ex);
            }

            if (!exchange.HasResponded && !aborting)
            {
                exchange.KeepAlive = false;
                await exchange.RespondAsync(500, "text/plain; charset=utf-8", "internal server error\n"u8.ToArray()).ConfigureAwait(false);
            }
            else
            {
                // Too late for a status: the head is out. Cutting the connection is the only way left to say "failed".
                Abort();
            }
        }
        finally
        {
            Volatile.Write(ref _eventStream, null);
        }

        bool peerGone = watch is not null && await StopWatchAsync(watch).ConfigureAwait(false);
        if (!aborted.TryReset())
        {
            aborted.Dispose();
            _requestAborted = null;
        }

        return !peerGone && !exchange.ClosesConnection && exchange.KeepAlive && Volatile.Read(ref _aborted) == 0;
    }

    /// <summary>While an endpoint serves, reads on to notice the peer's FIN or reset (RequestAborted).</summary>
    /// <remarks>
    /// Bytes that arrive instead are the next, pipelined, request: they stay in the pipe unexamined and the watch ends
    /// (a Pipe refuses an examined position that moves back, and examining them would make the next read wait for more).
    /// A peer that pipelines is therefore only seen to vanish when the response is written: the rare case pays.
    /// </remarks>
    private async Task<bool> WatchInputAsync(CancellationTokenSource aborted)
    {
        try
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            _input.AdvanceTo(result.Buffer.Start);
            bool gone = result.IsCanceled ? Volatile.Read(ref _aborted) != 0 : result.IsCompleted;
            if (gone)
            {
                await aborted.CancelAsync().ConfigureAwait(false);
            }

            return gone;
        }
        catch (Exception ex) when (IsConnectionError(ex))
        {
            await aborted.CancelAsync().ConfigureAwait(false);
            return true;
        }
    }

    private async Task<bool> StopWatchAsync(Task<bool> watch)
    {
        if (!watch.IsCompleted)
        {
            // A stop that lands after the watch ended on its own leaves a canceled read behind; ReadHeadAsync skips it.
            _input.CancelPendingRead();
        }

        return await watch.ConfigureAwait(false);
    }

    private void CancelRequest()
    {
        var cts = Volatile.Read(ref _requestAborted);
        try
        {
            _ = cts?.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // the request ended meanwhile
        }
    }

    internal async ValueTask WriteEndpointResponseAsync(HttpExchange exchange, int status, string? contentType, ReadOnlyMemory<byte> body,
        IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        bool noBody = status is 204 or 304;
        int n = HttpResponseWriter.WriteHead(_output, status, contentType, noBody ? null : body.Length, chunked: false, exchange.ClosesConnection,
            _ctx.KeepAliveHintSeconds, headers);
        if (!noBody && !exchange.IsHead)
        {
            _output.Write(body.Span);
            n += body.Length;
        }

        _ctx.Metrics.HttpRequests.WithLabels(exchange.Route, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        CountSent(n);
        await FlushHttpAsync().ConfigureAwait(false);
    }

    internal async ValueTask WriteEventStreamHeadAsync(HttpExchange exchange, bool chunked, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        int n = HttpResponseWriter.WriteHead(_output, 200, "text/event-stream", contentLength: null, chunked, exchange.ClosesConnection,
            _ctx.KeepAliveHintSeconds, headers);
        _ctx.Metrics.HttpRequests.WithLabels(exchange.Route, "200").Inc();
        CountSent(n);
        Volatile.Write(ref _eventStream, exchange.EventStream);
        await FlushHttpAsync().ConfigureAwait(false);
    }

    /// <summary>Flushes response bytes; false when the connection has ended. A flush that stalls past the keep-alive
    /// timeout while an endpoint serves is cut by the heartbeat (the peer stopped reading).</summary>
    internal async ValueTask<bool> FlushHttpAsync()
    {
        Volatile.Write(ref _flushStarted, Math.Max(1, _ctx.Time.GetTimestamp()));
        try
        {
            var flush = await _output.FlushAsync().ConfigureAwait(false);
            return !flush.IsCompleted && !flush.IsCanceled;
        }
        catch (Exception ex) when (IsConnectionError(ex))
        {
            Abort();
            return false;
        }
        finally
        {
            Volatile.Write(ref _flushStarted, 0);
        }
    }

    private async Task<HttpRequestHead?> TryAcceptUpgradeAsync(HttpRequestHead head)
    {
        var rejection = WebSocketHandshake.Validate(head, _ctx.Options.IsOriginAllowed);
        if (rejection is not null)
        {
            string? extra = rejection.StatusCode switch
            {
                426 => "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
                405 => "Allow: GET\r\n",
                _ => null,
            };
            await RespondErrorAsync("websocket", rejection.StatusCode, rejection.Reason, extra, head.Method == "HEAD").ConfigureAwait(false);
            return null;
        }

        // exai-ws carries its token in the hello; MCP has no such message, so its upgrade must present it
        // (Authorization: Bearer, or ?token= for clients that cannot set headers).
        if (_ctx.Tokens is { Enabled: true } tokens && WebSocketHandshake.SelectSubprotocol(head) == WebSocketHandshake.McpSubprotocol && !tokens.Check(head, allowQuery: true))
        {
            _ctx.Metrics.ConnectionsRefused.WithLabels("unauthorized").Inc();
            await RespondErrorAsync("websocket", 401, "this daemon requires its token: Authorization: Bearer <token>, or ?token=<token>",
                "WWW-Authenticate: Bearer realm=\"exaifast\"\r\n", head.Method == "HEAD").ConfigureAwait(false);
            return null;
        }

        if (_ctx.IsDraining)
        {
            _ctx.Metrics.ConnectionsRefused.WithLabels("draining").Inc();
            await RespondErrorAsync("websocket", 503, "server is shutting down").ConfigureAwait(false);
            return null;
        }

        return head;
    }

    private async Task RespondErrorAsync(string route, int status, string reason, string? extraHeaders = null, bool headOnly = false)
    {
        int n = HttpResponseWriter.WriteError(_output, status, reason, extraHeaders, headOnly);
        _ctx.Metrics.HttpRequests.WithLabels(route, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        CountSent(n);
        await FlushHttpAsync().ConfigureAwait(false);
    }
}
