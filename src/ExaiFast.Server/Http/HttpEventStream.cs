using System.Buffers;
using System.Text;

namespace ExaiFast.Server.Http;

/// <summary>The body of a <c>text/event-stream</c> response: server-sent events, one chunk each, flushed as written
/// through the connection's one writer (<see cref="Http1Output"/>).</summary>
/// <remarks>
/// Thread-safe: <see cref="WriteEventAsync"/> may be called from any thread (tool workers write progress), and writes are
/// serialised by one semaphore, so the writer only ever serves one of them at a time; the keep-alive comment the
/// heartbeat asks for takes the same semaphore, only when it is free, and is written on the thread pool, never on the
/// heartbeat's thread. After <see cref="CompleteAsync"/>, or once the request was aborted, writes do nothing (like
/// <c>IWebSocketSession.SendAsync</c> after a close), so a late progress report from a worker never throws.
/// </remarks>
internal sealed class HttpEventStream : IThreadPoolWorkItem
{
    private static ReadOnlySpan<byte> KeepAliveComment => ": keep-alive\n\n"u8;

    private readonly Http1Output _output;
    private readonly bool _chunked;
    private readonly bool _headOnly;
    private readonly CancellationToken _requestAborted;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _completed;

    internal HttpEventStream(Http1Output output, bool chunked, bool headOnly, CancellationToken requestAborted)
    {
        _output = output;
        _chunked = chunked;
        _headOnly = headOnly;
        _requestAborted = requestAborted;
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
                Write(Format(data.Span, id).WrittenSpan);
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
                if (_chunked && !_headOnly)
                {
                    _output.WriteLastChunk();
                    await _output.FlushAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Heartbeat: a comment line when nothing went out for the keep-alive interval and no write is under way.</summary>
    internal void OnHeartbeat(long now, long keepAliveTicks)
    {
        if (_completed || now - _output.LastFlush < keepAliveTicks || !_lock.Wait(0))
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false); // Execute: the write, off the heartbeat's thread
    }

    /// <summary>Writes the keep-alive comment the heartbeat asked for, holding the semaphore it took.</summary>
    void IThreadPoolWorkItem.Execute() => _ = WriteKeepAliveLockedAsync();

    private async Task WriteKeepAliveLockedAsync()
    {
        try
        {
            if (!_completed && !_requestAborted.IsCancellationRequested)
            {
                Write(KeepAliveComment);
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
        if (_completed || _requestAborted.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            await _lock.WaitAsync(_requestAborted).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async ValueTask FlushLockedAsync()
    {
        if (!await _output.FlushAsync().ConfigureAwait(false))
        {
            _completed = true; // the connection ended: nothing more can go out
        }
    }

    // For HEAD nothing is written.
    private void Write(ReadOnlySpan<byte> payload)
    {
        if (!_headOnly)
        {
            _output.WriteEvent(payload, _chunked);
        }
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
