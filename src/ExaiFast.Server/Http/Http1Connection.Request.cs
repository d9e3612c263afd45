using System.Runtime.CompilerServices;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Logging;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Http;

// One request: screening, Expect, the body under the inbound budget, the endpoint, and watching for the peer meanwhile.
internal sealed partial class Http1Connection
{
    private CancellationTokenSource? _requestAborted;
    private HttpExchange? _exchange; // the request being served (read by the heartbeat for its event stream)

    /// <summary>Reads the body, runs the endpoint, and says whether the connection serves another request.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ServeAsync(IHttpEndpoint endpoint, HttpRequestHead head)
    {
        string route = head.Path[1..];
        var framing = HttpBodyFraming.From(head);
        if (!framing.IsValid)
        {
            await _output.RespondErrorAsync(route, framing.Status, framing.Error!).ConfigureAwait(false);
            return false;
        }

        long maxBody = _ctx.Options.EffectiveMaxRequestBodyBytes;
        if (framing.Kind == HttpBodyKind.ContentLength && framing.Length > maxBody)
        {
            await _output.RespondErrorAsync(route, 413, "request body too large").ConfigureAwait(false); // nothing of it read
            return false;
        }

        var screening = endpoint.ScreenAsync(head);
        if (!screening.IsCompleted)
        {
            // The wait is this daemon's (an OAuth issuer's keys being fetched), not the client's: the head has come whole,
            // and its deadline must not drop the request meanwhile.
            _connection.EnterPhase(ConnectionPhase.HttpServing);
        }

        if ((screening.IsCompletedSuccessfully ? screening.Result : await screening.ConfigureAwait(false)) is { } refusal)
        {
            await _output.RespondRefusalAsync(route, refusal, head.Method == "HEAD").ConfigureAwait(false);
            return false; // its body, if any, is never read
        }

        // Expect (RFC 9110 §10.1.1): only 100-continue exists; answer it before reading, never leave the client waiting.
        string? expect = head["Expect"];
        if (expect is not null && !expect.Trim().Equals("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            await _output.RespondErrorAsync(route, 417, "only Expect: 100-continue is understood").ConfigureAwait(false);
            return false;
        }

        // A big body takes inbound budget for its whole length before any of it is read, and before the 100
        // that would let the client send it; one that gets none in time is refused with 503.
        if (framing.Kind == HttpBodyKind.ContentLength && framing.Length > InboundBudget.SmallMessageBytes
            && !await _body.ReserveAsync(framing.Length).ConfigureAwait(false))
        {
            await RespondNoBudgetAsync(route).ConfigureAwait(false);
            return false;
        }

        if (expect is not null && framing.Kind != HttpBodyKind.None && head.MinorVersion == 1)
        {
            await _output.WriteContinueAsync().ConfigureAwait(false);
        }

        PooledBuffer body = default;
        if (framing.Kind != HttpBodyKind.None)
        {
            var (outcome, read) = await _body.ReadAsync(framing, maxBody).ConfigureAwait(false);
            body = read;
            switch (outcome)
            {
                case BodyOutcome.Complete:
                    break;
                case BodyOutcome.TooLarge:
                    await _output.RespondErrorAsync(route, 413, "request body too large").ConfigureAwait(false);
                    return false;
                case BodyOutcome.Malformed:
                    await _output.RespondErrorAsync(route, 400, _body.Error ?? "malformed chunked body").ConfigureAwait(false);
                    return false;
                case BodyOutcome.TimedOut:
                    await _output.RespondErrorAsync(route, 408, "request body not received in time").ConfigureAwait(false);
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
        bool keepAlive = head.KeepAlive && !_connection.IsShutdownRequested;
        var exchange = new HttpExchange(_output, _connection.Id, _connection.RemoteAddress, head, body, route, keepAlive, aborted.Token);
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
        Volatile.Write(ref _exchange, exchange);
        _connection.EnterPhase(ConnectionPhase.HttpServing);
        if (_connection.IsAborted)
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
                ServerLog.EndpointDidNotRespond(_ctx.Logger, _connection.Id, head.Path);
                await exchange.RespondAsync(500, "text/plain; charset=utf-8", "internal server error\n"u8.ToArray()).ConfigureAwait(false);
            }
            else if (exchange.EventStream is { IsCompleted: false } stream)
            {
                await stream.CompleteAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            bool aborting = _connection.IsAborted;
            if (!(aborting && ConnectionErrors.IsConnectionError(ex)) && !(ex is OperationCanceledException && aborted.IsCancellationRequested))
            {
                ServerLog.EndpointFailed(_ctx.Logger, _connection.Id, head.Path, ex);
            }

            if (!exchange.HasResponded && !aborting)
            {
                exchange.KeepAlive = false;
                await exchange.RespondAsync(500, "text/plain; charset=utf-8", "internal server error\n"u8.ToArray()).ConfigureAwait(false);
            }
            else
            {
                // Too late for a status: the head is out. Cutting the connection is the only way left to say "failed".
                _connection.Abort();
            }
        }
        finally
        {
            Volatile.Write(ref _exchange, null);
        }

        bool peerGone = watch is not null && await StopWatchAsync(watch).ConfigureAwait(false);
        if (!aborted.TryReset())
        {
            aborted.Dispose();
            _requestAborted = null;
        }

        return !peerGone && !exchange.ClosesConnection && exchange.KeepAlive && !_connection.IsAborted;
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
            bool gone = result.IsCanceled ? _connection.IsAborted : result.IsCompleted;
            if (gone)
            {
                await aborted.CancelAsync().ConfigureAwait(false);
            }

            return gone;
        }
        catch (Exception ex) when (ConnectionErrors.IsConnectionError(ex))
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

    private async ValueTask RespondNoBudgetAsync(string route)
    {
        if (_connection.IsAborted)
        {
            return;
        }

        string reason = _connection.IsShutdownRequested ? "server is shutting down"
            : "server busy: no memory budget for this request body in time; retry later";
        await _output.RespondErrorAsync(route, 503, reason, "Retry-After: 1\r\n").ConfigureAwait(false);
    }
}
