using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Pipelines;
using ExaiFast.Server.Connections;
using ExaiFast.Wire;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Http;

/// <summary>The one writer of an HTTP/1.1 connection: every byte it sends — response heads and bodies, errors,
/// <c>100 Continue</c>, event-stream chunks, the <c>101</c> of an upgrade — goes out here, counted, and every flush is
/// timed for the write-stall rule.</summary>
/// <remarks>
/// Requests are served one at a time, so writes come from the request loop, except those of an open event stream,
/// which its <see cref="HttpEventStream"/> serialises (worker threads, the keep-alive comment) before they reach here.
/// </remarks>
internal sealed class Http1Output(TransportConnection connection, ConnectionContext ctx)
{
    private readonly PipeWriter _output = connection.Output;
    private long _flushStarted; // timestamp of a flush under way, 0 when none (the write-stall rule)
    private long _lastFlush;    // timestamp the last flush began (an event stream's keep-alive rule)

    /// <summary>Whether the server drains (or this connection was told to close): a response begun now is its last.</summary>
    public bool ShutdownRequested => ctx.IsDraining || connection.IsShutdownRequested;

    /// <summary>When the last flush began: the last time anything went out.</summary>
    public long LastFlush => Volatile.Read(ref _lastFlush);

    /// <summary>Whether a flush has waited for the peer longer than the keep-alive timeout (it stopped reading).</summary>
    public bool IsStalled(long now)
    {
        long started = Volatile.Read(ref _flushStarted);
        return started != 0 && now - started > ctx.KeepAliveTicks;
    }

    /// <summary>An endpoint's complete response with <c>Content-Length</c>, flushed. 204 and 304 get neither length nor
    /// body, a HEAD request (<paramref name="headOnly"/>) the head alone.</summary>
    public async ValueTask RespondAsync(string route, int status, string? contentType, ReadOnlyMemory<byte> body, bool close, bool headOnly,
        IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        bool noBody = status is 204 or 304;
        int n = HttpResponseWriter.WriteHead(_output, status, contentType, noBody ? null : body.Length, chunked: false, close,
            ctx.KeepAliveHintSeconds, headers);
        if (!noBody && !headOnly)
        {
            _output.Write(body.Span);
            n += body.Length;
        }

        Count(route, status, n);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>A plain-text error with <c>Connection: close</c>, flushed.</summary>
    public async Task RespondErrorAsync(string route, int status, string reason, string? extraHeaders = null, bool headOnly = false)
    {
        int n = HttpResponseWriter.WriteError(_output, status, reason, extraHeaders, headOnly);
        Count(route, status, n);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>An endpoint's refusal of a request head (its body never read), with <c>Connection: close</c>, flushed.</summary>
    public async Task RespondRefusalAsync(string route, HttpRefusal refusal, bool headOnly)
    {
        int n = HttpResponseWriter.Write(_output, refusal.Status, refusal.ContentType, refusal.Body, close: true, refusal.ExtraHeaders, headOnly);
        Count(route, refusal.Status, n);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>The interim answer to <c>Expect: 100-continue</c>, flushed.</summary>
    public ValueTask<bool> WriteContinueAsync()
    {
        ctx.Metrics.BytesSent.Inc(HttpResponseWriter.WriteContinue(_output));
        return FlushAsync();
    }

    /// <summary>The head of a <c>200 text/event-stream</c> response, flushed; its events follow as <see cref="WriteEvent"/>.</summary>
    public async ValueTask StartEventStreamAsync(string route, bool chunked, bool close, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        int n = HttpResponseWriter.WriteHead(_output, 200, "text/event-stream", contentLength: null, chunked, close, ctx.KeepAliveHintSeconds, headers);
        Count(route, 200, n);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Writes one event (not flushed): one chunk, <c>"&lt;hex length&gt;\r\n" event "\r\n"</c>, or for HTTP/1.0 the
    /// event alone.</summary>
    public void WriteEvent(ReadOnlySpan<byte> payload, bool chunked)
    {
        int n = payload.Length;
        if (chunked)
        {
            Span<byte> size = stackalloc byte[16];
            Utf8Formatter.TryFormat(payload.Length, size, out int digits, new StandardFormat('x'));
            _output.Write(size[..digits]);
            _output.Write("\r\n"u8);
            n += digits + 4;
        }

        _output.Write(payload);
        if (chunked)
        {
            _output.Write("\r\n"u8);
        }

        ctx.Metrics.BytesSent.Inc(n);
    }

    /// <summary>The terminating chunk of a chunked body (not flushed).</summary>
    public void WriteLastChunk()
    {
        _output.Write("0\r\n\r\n"u8);
        ctx.Metrics.BytesSent.Inc(5);
    }

    /// <summary>Flushes what was written; false when the connection has ended. A flush that stalls past the keep-alive
    /// timeout while an endpoint serves is cut by the heartbeat (<see cref="IsStalled"/>).</summary>
    public async ValueTask<bool> FlushAsync()
    {
        long now = Math.Max(1, ctx.Time.GetTimestamp());
        Volatile.Write(ref _lastFlush, now);
        Volatile.Write(ref _flushStarted, now);
        try
        {
            var flush = await _output.FlushAsync().ConfigureAwait(false);
            return !flush.IsCompleted && !flush.IsCanceled;
        }
        catch (Exception ex) when (ConnectionErrors.IsConnectionError(ex))
        {
            connection.Abort();
            return false;
        }
        finally
        {
            Volatile.Write(ref _flushStarted, 0);
        }
    }

    /// <summary>The <c>101</c> completing a WebSocket handshake, flushed: the last bytes this writer sends.</summary>
    /// <remarks>Flushed before the WebSocket's writer loop exists: from then on it alone touches the PipeWriter (a close
    /// queued by a shutdown racing this flush once corrupted the stream). A failure here ends the connection.</remarks>
    public async ValueTask SwitchProtocolsAsync(HttpRequestHead head, string? subprotocol)
    {
        WriteSwitchingProtocols(head["Sec-WebSocket-Key"]!, subprotocol);
        await _output.FlushAsync().ConfigureAwait(false);
        ctx.Metrics.HttpRequests.WithLabels("websocket", "101").Inc();
    }

    private void WriteSwitchingProtocols(string key, string? subprotocol)
    {
        Span<byte> accept = stackalloc byte[WebSocketHandshake.AcceptKeyLength];
        WebSocketHandshake.WriteAcceptKey(key, accept);
        ctx.Metrics.BytesSent.Inc(HttpResponseWriter.WriteSwitchingProtocols(_output, accept, subprotocol));
    }

    private void Count(string route, int status, int bytes)
    {
        ctx.Metrics.HttpRequests.WithLabels(route, status.ToString(CultureInfo.InvariantCulture)).Inc();
        ctx.Metrics.BytesSent.Inc(bytes);
    }
}
