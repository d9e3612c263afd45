using System.Buffers;
using System.IO.Pipelines;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Metrics;
using ExaiFast.Wire;

namespace ExaiFast.Server.WebSockets;

/// <summary>A WebSocket connection's one writer: a bounded queue of whole frames and the run that writes them to the
/// socket, flushing once per batch. Nothing else writes to the connection once it is upgraded.</summary>
/// <remarks>
/// Queuing is thread-safe (workers send while the reader loop runs). The writing run exists only while there is
/// something to write: the sender that finds the writer idle runs it on its own thread (as the synchronous continuation
/// of a channel's waiting loop did, measured p50 23 µs vs 45 µs against a hop to the thread pool, perf/RESULTS.md), and
/// it ends when the queue is empty. An idle connection therefore holds no loop, no channel and no waiting operations:
/// those were about 1 KiB of its 8 (a long-lived loop's state machine, the channel, its reader's and writer's
/// operations). One run at a time, so the frames leave in the order they were queued.
/// </remarks>
internal sealed class WebSocketWriter
{
    // Payloads above this are written in slices with a flush between them, so a 16 MiB message never sits whole in the pipe.
    private const int FlushSliceBytes = 256 * 1024;

    // The queue starts this small and doubles up to the configured bound: most connections never hold more than a frame
    // or two at a time, and an idle one keeps its queue.
    private const int InitialQueueFrames = 2;

    private readonly WebSocketConnection _owner;
    private readonly TransportConnection _connection;
    private readonly PipeWriter _output;
    private readonly ServerMetrics _metrics;
    private readonly int _capacity;

    // All below under lock (this): the writer is private to its connection, and a lock object of its own would be one
    // more object per connection.
    private OutboundFrame[]? _frames; // a ring: _count frames from _head
    private int _head;
    private int _count;
    private List<BlockedSend>? _blocked; // senders waiting for room, oldest first; only while the queue is full
    private bool _started;   // the 101 is out: frames may be written
    private bool _writing;   // a run is under way
    private bool _completed; // no more frames are taken
    private bool _ended;     // the writer is done for good (close frame written, peer gone, failure, or completed and drained)
    private Task _run = Task.CompletedTask;
    private TaskCompletionSource? _endedSignal; // made when the teardown waits for a run under way

    public WebSocketWriter(WebSocketConnection owner, TransportConnection connection, ConnectionContext ctx)
    {
        _owner = owner;
        _connection = connection;
        _output = connection.Output;
        _metrics = ctx.Metrics;
        _capacity = ctx.Options.OutboundQueueFrames;
    }

    /// <summary>The 101 is flushed: from here on the writer alone touches the PipeWriter; frames queued before are written now.</summary>
    public void Start()
    {
        lock (this)
        {
            _started = true;
            if (!TryBeginRun())
            {
                return;
            }
        }

        Run();
    }

    /// <summary>Queues <paramref name="frame"/> if there is room now; the caller still owns its payload when false.</summary>
    public bool TryQueue(in OutboundFrame frame)
    {
        lock (this)
        {
            if (_completed || _count == _capacity)
            {
                return false;
            }

            Enqueue(frame);
            if (!TryBeginRun())
            {
                return true;
            }
        }

        Run();
        return true;
    }

    /// <summary>Queues <paramref name="frame"/>, waiting only while the queue is full; its payload is returned if the
    /// connection ends meanwhile.</summary>
    public ValueTask QueueAsync(OutboundFrame frame, CancellationToken cancellationToken)
    {
        bool refused = false;
        bool run = false;
        BlockedSend? blocked = null;
        lock (this)
        {
            if (_completed || (_count == _capacity && cancellationToken.IsCancellationRequested))
            {
                refused = true;
            }
            else if (_count < _capacity)
            {
                Enqueue(frame);
                run = TryBeginRun();
            }
            else
            {
                blocked = new BlockedSend(this, frame);
                (_blocked ??= []).Add(blocked);
            }
        }

        if (refused)
        {
            frame.Payload.Return(); // the connection ended: the frame has nowhere to go
        }
        else if (blocked is not null)
        {
            return WaitForRoomAsync(blocked, cancellationToken);
        }
        else if (run)
        {
            Run();
        }

        return default;
    }

    /// <summary>No more frames: what is queued is written (up to a close frame), then the writer ends.</summary>
    public Task CompleteAsync()
    {
        List<BlockedSend>? refused;
        bool run = false;
        bool endNow = false;
        lock (this)
        {
            _completed = true;
            refused = _blocked;
            _blocked = null;
            if (_ended)
            {
                // nothing left to do
            }
            else if (_writing)
            {
                // The run under way cannot pause any more: it writes the rest and ends the writer; the teardown waits for that.
                _endedSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else if (!_started)
            {
                endNow = true; // no 101 went out: nothing may be written
            }
            else
            {
                _writing = true; // idle: one last run writes what is queued (after a held flush, that flush), then ends
                run = true;
            }
        }

        Refuse(refused);
        if (endNow)
        {
            End(null);
        }
        else if (run)
        {
            Run();
        }

        lock (this)
        {
            return _ended ? _run : _endedSignal?.Task ?? _run;
        }
    }

    private async ValueTask WaitForRoomAsync(BlockedSend blocked, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((BlockedSend)state!).Cancel(), blocked)
            : default;
        if (!await blocked.Done.Task.ConfigureAwait(false))
        {
            // The connection ended (or the wait was cancelled) while we waited; the frame has nowhere to go.
            blocked.Frame.Payload.Return();
        }
    }

    private void Cancel(BlockedSend blocked)
    {
        bool removed;
        lock (this)
        {
            removed = _blocked?.Remove(blocked) == true;
        }

        if (removed)
        {
            blocked.Done.TrySetResult(false);
        }
    }

    private void Enqueue(in OutboundFrame frame)
    {
        if (_frames is null || _count == _frames.Length)
        {
            var bigger = new OutboundFrame[Math.Min(_capacity, Math.Max(InitialQueueFrames, (_frames?.Length ?? 0) * 2))];
            for (int i = 0; i < _count; i++)
            {
                bigger[i] = _frames![(_head + i) % _frames.Length];
            }

            _frames = bigger;
            _head = 0;
        }

        _frames[(_head + _count) % _frames.Length] = frame;
        _count++;
    }

    /// <summary>Under the lock: true if the caller must start a run now (it holds the writer until the run ends).</summary>
    private bool TryBeginRun()
    {
        if (_writing || !_started || _ended || _count == 0)
        {
            return false;
        }

        _writing = true;
        return true;
    }

    /// <summary>Under the lock: the next frame to write, with a blocked sender's frame moved into the room it leaves.</summary>
    private bool TryDequeue(out OutboundFrame frame, out BlockedSend? admitted)
    {
        admitted = null;
        if (_count == 0)
        {
            frame = default;
            return false;
        }

        frame = _frames![_head];
        _frames[_head] = default;
        _head = (_head + 1) % _frames.Length;
        _count--;
        if (_blocked is { Count: > 0 } blocked)
        {
            admitted = blocked[0];
            blocked.RemoveAt(0);
            Enqueue(admitted.Frame);
        }

        return true;
    }

    private void Run()
    {
        var run = WriteAsync();
        if (!run.IsCompletedSuccessfully)
        {
            lock (this)
            {
                if (!_ended || run.IsFaulted)
                {
                    _run = run; // a failure that is not the connection's reaches the teardown, which waits for the writer
                }
            }
        }
    }

    /// <summary>The only code that writes frames to the socket: writes what is queued, flushing once per batch, and
    /// returns when the queue is empty (or the writer ended).</summary>
    private async Task WriteAsync()
    {
        bool ended = false;
        Exception? failure = null;
        try
        {
            while (true)
            {
                long bytes = 0;
                int frames = 0;
                bool closed = false;
                bool more = false;
                bool empty = false;

                // A batch ends at a flush slice's worth of bytes: its flush is what waits for a slow peer. Unbounded, a
                // sender that refilled the queue as fast as this run drained it kept it from ever flushing, and the
                // whole flood went into the pipe's memory while the peer read nothing (the outbound queue's bound
                // bypassed; seen over the sockets transport, whose pipe buffers without limit until a flush).
                while (!closed && bytes < FlushSliceBytes)
                {
                    OutboundFrame frame;
                    BlockedSend? admitted;
                    lock (this)
                    {
                        if (!TryDequeue(out frame, out admitted))
                        {
                            empty = true;
                            break;
                        }
                    }

                    admitted?.Done.TrySetResult(true);
                    try
                    {
                        bytes += await WriteFrameAsync(frame).ConfigureAwait(false);
                    }
                    finally
                    {
                        frame.Payload.Return();
                    }

                    frames++;
                    closed = frame.Opcode == WebSocketOpcode.Close;
                    more = frame.More;
                }

                if (frames > 0)
                {
                    _metrics.BytesSent.Inc(bytes);
                    _metrics.FramesSent.Inc(frames);
                }

                if (empty && !closed)
                {
                    if (TryPause(flushPending: frames > 0, more, out bool complete))
                    {
                        return; // idle: the next frame starts the next run
                    }

                    if (complete && frames == 0)
                    {
                        ended = true;
                        return; // completed, nothing left to write
                    }
                }

                _metrics.Writes.Inc();
                var flush = await _output.FlushAsync().ConfigureAwait(false);
                if (closed || flush.IsCompleted || flush.IsCanceled)
                {
                    ended = true;
                    return;
                }
            }
        }
        catch (Exception ex) when (ConnectionErrors.IsConnectionError(ex))
        {
            ended = true;
            _connection.Abort();
        }
        catch (Exception ex)
        {
            ended = true;
            failure = ex;
            throw;
        }
        finally
        {
            if (ended)
            {
                End(failure);
            }
        }
    }

    /// <summary>The queue ran dry. True when the run may end here and leave the writer idle: nothing to flush (or the
    /// last frame's sender is queuing the next one now: one flush, one send syscall, for both — its sender guarantees that
    /// next frame, so the bytes written here never wait longer than it takes to queue it). False when the run must flush
    /// first, or end the writer (<paramref name="complete"/>).</summary>
    private bool TryPause(bool flushPending, bool more, out bool complete)
    {
        lock (this)
        {
            complete = _completed;
            if (_count > 0 || _completed || (flushPending && !more))
            {
                return false;
            }

            _writing = false;
            return true;
        }
    }

    /// <summary>Nothing is written after a close frame (RFC 6455 §5.5.1), after the peer went away, or once completed:
    /// queued buffers go back, waiting senders are told.</summary>
    private void End(Exception? failure)
    {
        List<OutboundFrame>? rest = null;
        List<BlockedSend>? refused;
        TaskCompletionSource? signal;
        lock (this)
        {
            _ended = true;
            _completed = true;
            _writing = false;
            while (TryDequeue(out var frame, out _))
            {
                (rest ??= []).Add(frame);
            }

            refused = _blocked;
            _blocked = null;
            signal = _endedSignal;
        }

        if (rest is not null)
        {
            foreach (var frame in rest)
            {
                frame.Payload.Return();
            }
        }

        Refuse(refused);
        _owner.OnWriterEnded();
        if (failure is null)
        {
            signal?.TrySetResult();
        }
        else
        {
            signal?.TrySetException(failure); // not the connection's: the teardown, which waits for the writer, sees it
        }
    }

    private static void Refuse(List<BlockedSend>? refused)
    {
        if (refused is null)
        {
            return;
        }

        foreach (var blocked in refused)
        {
            blocked.Done.TrySetResult(false);
        }
    }

    private async ValueTask<long> WriteFrameAsync(OutboundFrame frame)
    {
        int length = frame.Payload.Length;
        Span<byte> header = _output.GetSpan(FrameParser.MaxHeaderLength);
        int headerLength = FrameWriter.WriteHeader(header, frame.Opcode, fin: true, length);
        _output.Advance(headerLength);

        var payload = frame.Payload.Memory;
        while (payload.Length > FlushSliceBytes)
        {
            _output.Write(payload.Span[..FlushSliceBytes]);
            payload = payload[FlushSliceBytes..];
            var flush = await _output.FlushAsync().ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                throw new OperationCanceledException("connection ended mid-frame");
            }
        }

        _output.Write(payload.Span);
        return headerLength + length;
    }

    /// <summary>A sender waiting for room in the full queue: its frame goes in, in its turn, when the run takes one out.</summary>
    private sealed class BlockedSend(WebSocketWriter writer, OutboundFrame frame)
    {
        public OutboundFrame Frame { get; } = frame;

        /// <summary>True when the frame was queued; false when it was not (connection ended, or the wait cancelled).</summary>
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel() => writer.Cancel(this);
    }
}
