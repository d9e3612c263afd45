using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using ExaiFast.Server.Connections;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Http;

/// <summary>HTTP/1.1 on one connection: reads request heads, serves each through its endpoint
/// (<see cref="Http1Connection"/>.Request.cs), and at a validated WebSocket upgrade answers the 101 and hands the
/// <see cref="WebSocketConnection"/> back to the transport.</summary>
/// <remarks>
/// The request loop is the only reader of the input while the connection speaks HTTP; every byte it answers goes through
/// one writer, <see cref="Http1Output"/>. The heartbeat, shutdown and abort reach it through <see cref="IConnectionProtocol"/>.
/// </remarks>
internal sealed partial class Http1Connection : IOpeningProtocol
{
    private readonly TransportConnection _connection;
    private readonly ServerContext _ctx;
    private readonly PipeReader _input;
    private readonly Http1Output _output;
    private readonly HttpBodyReader _body;
    private volatile bool _upgrading; // a validated upgrade is under way: shutdown leaves it to the upgrade

    public Http1Connection(TransportConnection connection, ServerContext ctx)
    {
        _connection = connection;
        _ctx = ctx;
        _input = connection.Input;
        _output = new Http1Output(connection, ctx);
        _body = new HttpBodyReader(connection, ctx);
    }

    /// <summary>Answers HTTP requests until one upgrades (the WebSocket returned, its 101 sent) or the connection should
    /// end (null).</summary>
    /// <remarks>
    /// The first head is timed from accept, each later one from its first byte, both by the handshake timeout; the wait
    /// for that first byte is the keep-alive timeout. Nothing restarts a deadline on a partial read (slowloris).
    /// </remarks>
    public async Task<IUpgradedProtocol?> RunAsync()
    {
        bool idle = false;
        while (true)
        {
            if (idle)
            {
                _connection.EnterPhase(ConnectionPhase.HttpIdle);
                Interlocked.MemoryBarrier(); // pairs with BeginShutdown: it sees the idle phase, or we see its flag
                if (_connection.IsShutdownRequested)
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
                    await _output.RespondErrorAsync("other", 431, "request head too large").ConfigureAwait(false);
                    return null;
                case HttpHeadStatus.BadRequest:
                    await _output.RespondErrorAsync("other", 400, error ?? "bad request").ConfigureAwait(false);
                    return null;
            }

            if (ServerContext.IsWebSocketPath(head!.Path))
            {
                return await UpgradeAsync(head).ConfigureAwait(false);
            }

            if (!_ctx.Endpoints.TryGetValue(head.Path, out var endpoint))
            {
                // The body (if any) is not read: closing is the only safe way past it.
                await _output.RespondErrorAsync("other", 404, "not found", headOnly: head.Method == "HEAD").ConfigureAwait(false);
                return null;
            }

            if (!await ServeAsync(endpoint, head).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <summary>The 503 of a connection refused at accept, before anything is read.</summary>
    public Task RefuseAsync(string reason) => _output.RespondErrorAsync("other", 503, reason, "Retry-After: 1\r\n");

    /// <summary>The 429 of a connection over its address's connection rate, at accept, before anything is read.</summary>
    /// <remarks>Retry-After is whole seconds (RFC 9110), rounded up: coming back sooner would only be refused again.</remarks>
    public Task RefuseRateAsync(TimeSpan retryAfter) =>
        _output.RespondErrorAsync("other", 429, "too many new connections from this address",
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Retry-After: {Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds))}\r\n"));

    /// <inheritdoc />
    public void OnHeartbeat(long now, ConnectionPhase phase, long inPhase)
    {
        if (_connection.IsAborted)
        {
            return; // a deadline already ended it: the phase stays until teardown runs, and must not count again
        }

        switch (phase)
        {
            case ConnectionPhase.HttpHead when inPhase > _ctx.HandshakeTicks:
                _connection.TimedOut("handshake");
                _connection.Abort();
                break;
            case ConnectionPhase.HttpIdle when inPhase > _ctx.KeepAliveTicks:
                _connection.TimedOut("keepalive");
                _connection.Abort();
                break;
            case ConnectionPhase.HttpBody:
                _body.OnHeartbeat(now, inPhase);
                break;
            case ConnectionPhase.HttpServing:
                if (_output.IsStalled(now))
                {
                    _connection.TimedOut("write");
                    _connection.Abort(); // the peer stopped reading the response (an event stream, typically)
                    break;
                }

                Volatile.Read(ref _exchange)?.EventStream?.OnHeartbeat(now, _ctx.EventStreamKeepAliveTicks);
                break;
        }
    }

    /// <inheritdoc />
    /// <remarks>Idle (no request in hand, no upgrade under way): the connection ends now. A request being served
    /// finishes, and the loop stops after it; a body waiting for budget is refused (503) rather than read during the drain.</remarks>
    public void BeginShutdown()
    {
        if (!_upgrading && _connection.Phase is not (ConnectionPhase.HttpBody or ConnectionPhase.HttpServing))
        {
            _connection.Abort();
        }

        _body.CancelBudgetWait();
    }

    /// <inheritdoc />
    public void OnAborted()
    {
        CancelRequest();
        _body.CancelBudgetWait();
    }

    /// <inheritdoc />
    public ValueTask StopAsync()
    {
        _body.ReleaseBudget();
        return default;
    }

    /// <inheritdoc />
    public void OnClosed()
    {
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
                if (_connection.IsAborted)
                {
                    return (HttpHeadStatus.Incomplete, null, null);
                }

                continue; // a late stop of the input watch (see StopWatchAsync): nothing to act on
            }

            if (idle && !buffer.IsEmpty)
            {
                idle = false;
                _connection.EnterPhase(ConnectionPhase.HttpHead); // the head's deadline runs from its first byte, once
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

    // Its own method: a local of the request loop would live as long as the loop, in every HTTP connection.
    private async Task<IUpgradedProtocol?> UpgradeAsync(HttpRequestHead head)
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
            await _output.RespondErrorAsync("websocket", rejection.StatusCode, rejection.Reason, extra, head.Method == "HEAD").ConfigureAwait(false);
            return null;
        }

        // exai-ws carries its token in the hello; MCP has no such message, so its upgrade must present it
        // (Authorization: Bearer, or ?token= for clients that cannot set headers).
        if (_ctx.Access is { Enabled: true } access && Subprotocols.Select(head) == Subprotocols.Mcp
            && await ScreenUpgradeAsync(access, head).ConfigureAwait(false) is { } refusal)
        {
            _ctx.Metrics.ConnectionsRefused.WithLabels(refusal.Status == 503 ? "unavailable" : "unauthorized").Inc();
            string reason = access.OAuth is null ? "this daemon requires its token: Authorization: Bearer <token>, or ?token=<token>" : refusal.Message;
            await _output.RespondErrorAsync("websocket", refusal.Status, reason, refusal.ExtraHeaders, head.Method == "HEAD").ConfigureAwait(false);
            return null;
        }

        if (_ctx.IsDraining)
        {
            _ctx.Metrics.ConnectionsRefused.WithLabels("draining").Inc();
            await _output.RespondErrorAsync("websocket", 503, "server is shutting down").ConfigureAwait(false);
            return null;
        }

        _upgrading = true;

        // Made from the request that asked for it, before the 101, which names the subprotocol it chose.
        var websocket = new WebSocketConnection(_connection, _ctx, head, _ctx.Handler);
        await _output.SwitchProtocolsAsync(head, websocket.Subprotocol).ConfigureAwait(false);
        return websocket; // the 101, flushed, is the last thing HTTP sends
    }

    // As a request's screening: a check that waits on this daemon (an issuer's keys) is not the head's to time out.
    private ValueTask<OAuth.AccessRefusal?> ScreenUpgradeAsync(AccessGuard access, HttpRequestHead head)
    {
        var check = access.CheckAsync(head, allowQuery: true);
        if (!check.IsCompleted)
        {
            _connection.EnterPhase(ConnectionPhase.HttpServing);
        }

        return check;
    }
}
