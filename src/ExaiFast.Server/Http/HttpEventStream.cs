using System.Buffers;
using System.Buffers.Text;
using System.Text;
using ExaiFast.Server.Connections;

namespace ExaiFast.Server.Http;

/// <summary>The body of a <c>text/event-stream</c> response: server-sent events, one chunk each, flushed as written.</summary>
/// <remarks>
/// Thread-safe: <see cref="WriteEventAsync"/> may be called from any thread (tool workers write progress), and writes are
/// serialised by one semaphore, so the connection's PipeWriter is only ever touched by one of them at a time; the
/// heartbeat's keep-alive comment takes the same semaphore, and only when it is free. After <see cref="CompleteAsync"/>,
/// or once the request was aborted, writes do nothing (like <c>IWebSocketSession.SendAsync</c> after a close), so a
/// late progress report from a worker never throws.
/// </remarks>
internal sealed class HttpEventStream
{
    private static ReadOnlySpan<byte> KeepAliveComment => ": keep-alive\n\n"u8;

    private readonly Connection _connection;
    private readonly HttpExchange _exchange;
    private readonly bool _chunked;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _lastWrite;
    private volatile bool _completed;

    internal HttpEventStream(Connection connection, HttpExchange exchange, bool chunked)
    {
        _connection = connection;
        _exchange = exchange;
        _chunked = chunked;
        _lastWrite = connection.Timestamp();
    }

    /// <summary>Whether the stream was completed (by the endpoint, or by the layer when the endpoint returned).</summary>
    public bool IsCompleted => _completed;

    /// <summary>
    /// Writes one event, <c>id: …</c> (when given) and one <c>data:</c> line per line of <paramref name="data"/>
    /// (a line of JSON is one), then the blank line ending the event, and flushes it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> contains CR, LF or NUL.</exception>
    public async ValueTask WriteEventAsync(ReadOnlyMemory<byte> data, string? id = null)
    {
        if (id is not null && id.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw new ArgumentException("an event id cannot contain CR, LF or NUL", nameof(id));
        }

        if (!await EnterAsync().ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (!_completed)
            {
                WriteChunk(Format(data.Span, id).WrittenSpan);
                await FlushLockedAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Ends the stream (the terminating chunk); the connection may then serve the next request. Idempotent.</summary>
    public async ValueTask CompleteAsync()
    {
        if (!await EnterAsync().ConfigureAwait(false))
        {
            _completed = true;
            return;
        }

        try
        {
            if (!_completed)
            {
                _completed = true;
                if (_chunked && !_exchange.IsHead)
                {
                    _connection.HttpOutput.Write("0\r\n\r\n"u8);
                    _connection.CountSent(5);
                    await _connection.FlushHttpAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Heartbeat: a comment line when nothing was written for the keep-alive interval and no write is under way.</summary>
    internal void OnHeartbeat(long now, long keepAliveTicks)
    {
        if (_completed || now - Volatile.Read(ref _lastWrite) < keepAliveTicks || !_lock.Wait(0))
        {
            return;
        }

        _ = WriteKeepAliveLockedAsync();
    }

    private async Task WriteKeepAliveLockedAsync()
    {
        try
        {
            if (!_completed && !_exchange.RequestAborted.IsCancellationRequested)
            {
                WriteChunk(KeepAliveComment);
                await FlushLockedAsync().ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // the connection is going; its owner tears it down
        }
        finally
        {
            _lock.Release();
        }
    }

    private async ValueTask<bool> EnterAsync()
    {
        if (_completed || _exchange.RequestAborted.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            await _lock.WaitAsync(_exchange.RequestAborted).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async ValueTask FlushLockedAsync()
    {
        Volatile.Write(ref _lastWrite, _connection.Timestamp());
        if (!await _connection.FlushHttpAsync().ConfigureAwait(false))
        {
            _completed = true; // the connection ended: nothing more can go out
        }
    }

    // One event = one chunk: "<hex length>\r\n" event "\r\n". For HEAD nothing is written; for HTTP/1.0, the event alone.
    private void WriteChunk(ReadOnlySpan<byte> payload)
    {
        if (_exchange.IsHead)
        {
            return;
        }

        var output = _connection.HttpOutput;
        int n = payload.Length;
        if (_chunked)
        {
            Span<byte> size = stackalloc byte[16];
            Utf8Formatter.TryFormat(payload.Length, size, out int digits, new StandardFormat('x'));
            output.Write(size[..digits]);
            output.Write("\r\n"u8);
            n += digits + 4;
        }

        output.Write(payload);
        if (_chunked)
        {
            output.Write("\r\n"u8);
        }

        _connection.CountSent(n);
    }

    // "id: <id>\n" then "data: <line>\n" per line (CRLF, LF and CR all end a line in SSE), then "\n".
    private static ArrayBufferWriter<byte> Format(ReadOnlySpan<byte> data, string? id)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 32 + (id?.Length ?? 0));
        if (id is not null)
        {
            buffer.Write("id: "u8);
            Encoding.UTF8.GetBytes(id, buffer);
            buffer.Write("\n"u8);
        }

        while (true)
        {
            int end = data.IndexOfAny((byte)'\r', (byte)'\n');
            buffer.Write("data: "u8);
            buffer.Write(end < 0 ? data : data[..end]);
            buffer.Write("\n"u8);
            if (end < 0)
            {
                break;
            }

            int skip = data[end] == (byte)'\r' && end + 1 < data.Length && data[end + 1] == (byte)'\n' ? 2 : 1;
            data = data[(end + skip)..];
            if (data.IsEmpty)
            {
                break; // a trailing line break ends the last line, it does not start an empty one
            }
        }

        buffer.Write("\n"u8);
        return buffer;
    }
}
