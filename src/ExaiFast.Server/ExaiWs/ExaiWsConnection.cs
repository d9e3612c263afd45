using System.Collections.Concurrent;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.ExaiWs;

/// <summary>
/// One exai-ws connection's state, and the listener of the calls it submitted: turns call events into frames.
/// </summary>
/// <remarks>
/// Listener methods run on lane slots, timers, and — for a call that ends before its first real await — on this
/// connection's reader inside Submit (its frames are then parked until the ack). They never block: results and stream chunks are queued (waiting in
/// the background only while the client is not reading), heartbeats are dropped when the queue is full.
/// Frames of a call that is being submitted are parked until its <c>call_tool_ack</c> is queued, so that nothing
/// about a call ever reaches the client before its ack; frames of a call being cancelled are parked until the
/// <c>cancelled</c> reply is queued, so that <c>call_tool_res</c> is the last frame of its request id.
/// </remarks>
internal sealed class ExaiWsConnection(IWebSocketSession socket, long helloDeadline, TimeProvider time) : ICallListener
{
    // The reader submits or cancels one call at a time (Park, Submit or Cancel, Release), so one parking slot is
    // enough; the lock orders frames produced by workers meanwhile against the flush in Release.
    private readonly Lock _parkingGate = new();
    private CallKey? _parkedKey;
    private volatile bool _parking; // the call was enqueued after this was set: a worker's read of it can't be stale
    private List<(PooledBuffer Frame, bool Droppable)>? _parkedFrames;

    public IWebSocketSession Socket { get; } = socket;

    public long HelloDeadline { get; } = helloDeadline;

    /// <summary>Set once by the hello; read by the reader loop only.</summary>
    public string? SessionId { get; set; }

    public bool HelloDone => SessionId is not null;

    /// <summary>Set by the hello: another daemon served this session within the result TTL (REDIS_URL), so a request id
    /// unknown here is looked up in the shared store before it runs. Read by the reader loop only.</summary>
    public bool Moved { get; set; }

    /// <summary>Calls this connection waits for on another daemon, by request id (REDIS_URL): added by the reader, each
    /// removed by its relay when it has answered. Made by the reader on the first.</summary>
    public ConcurrentDictionary<string, Relay>? Relays { get; set; }

    /// <summary>Called on the reader before submitting: frames for <paramref name="key"/> wait until <see cref="Release"/>.</summary>
    public void Park(CallKey key)
    {
        lock (_parkingGate)
        {
            _parkedKey = key;
            _parking = true;
        }
    }

    /// <summary>Sends the ack, refusal or cancel reply (if any) and then, in order, whatever the call produced meanwhile.</summary>
    /// <remarks>
    /// A call that ended inside Submit (a small call runs inline) has its result parked here: the ack is sent as
    /// "followed", so that ack and result leave in one write. Only a frame followed by one that cannot be dropped is
    /// marked so — the writer holds its flush for the next frame on that promise.
    /// </remarks>
    public void Release(CallKey key, PooledBuffer? ack)
    {
        lock (_parkingGate)
        {
            var frames = _parkedFrames;
            bool FollowedAt(int i) => frames is not null && i < frames.Count && !frames[i].Droppable;
            if (ack is { } a)
            {
                Send(a, droppable: false, followed: FollowedAt(0));
            }

            if (frames is not null)
            {
                for (int i = 0; i < frames.Count; i++)
                {
                    Send(frames[i].Frame, frames[i].Droppable, followed: FollowedAt(i + 1));
                }

                frames.Clear();
            }

            _parkedKey = null;
            _parking = false;
        }
    }

    public void OnProgress(CallKey key, ToolCall call, ProgressReport progress)
    {
        double elapsedMs = call.StartedAt == 0 ? 0 : time.GetElapsedTime(call.StartedAt).TotalMilliseconds;
        Deliver(key, ExaiWsFrames.Progress(key.RequestId, call.Tool.Name, elapsedMs, progress), droppable: true);
    }

    public void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk) =>
        Deliver(key, ExaiWsFrames.StreamChunk(key.RequestId, sequence, chunk), droppable: false);

    public void OnCompleted(CallKey key, ToolCall call, CallResult result)
    {
        Deliver(key, ExaiWsFrames.Result(key.RequestId, result), droppable: false);
    }

    private void Deliver(CallKey key, PooledBuffer frame, bool droppable)
    {
        if (_parking)
        {
            lock (_parkingGate)
            {
                if (_parkedKey == key)
                {
                    (_parkedFrames ??= []).Add((frame, droppable));
                    return;
                }
            }
        }

        Send(frame, droppable);
    }

    private void Send(PooledBuffer frame, bool droppable, bool followed = false)
    {
        if (droppable)
        {
            Socket.TrySend(WebSocketOpcode.Text, frame); // a slow client loses heartbeats, never results
            return;
        }

        var pending = followed ? Socket.SendFollowedAsync(WebSocketOpcode.Text, frame) : Socket.SendAsync(WebSocketOpcode.Text, frame);
        if (!pending.IsCompletedSuccessfully)
        {
            _ = pending.AsTask(); // completes when queued or when the connection is gone; SendAsync observes its own errors
        }
    }
}
