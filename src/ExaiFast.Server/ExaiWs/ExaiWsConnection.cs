using System.Collections.Concurrent;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.ExaiWs;

/// <summary>
/// One exai-ws connection's state, and the listener of the calls it submitted: turns call events into frames.
/// </summary>
/// <remarks>
/// A call's frames leave in its order by construction: the reader queues the <c>call_tool_ack</c>, then listens to the
/// call's ticket (chunks it produced meanwhile were held by the ticket and follow the ack), then asks for the result —
/// at once, in the same write as the ack, when the call ended inside Submit. Listener methods run on lane slots and
/// timers and never block: results and stream chunks are queued (waiting in the background only while the client is
/// not reading), heartbeats are dropped when the queue is full.
/// </remarks>
internal sealed class ExaiWsConnection(IWebSocketSession socket, long helloDeadline, TimeProvider time) : ICallListener
{
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

    /// <summary>
    /// Sends <paramref name="ack"/> for an accepted, attached or coalesced call, then its stream and its result, in
    /// that order. A call that has already ended has its result in the same write as the ack.
    /// </summary>
    public void Answer(CallTicket ticket, PooledBuffer ack)
    {
        Send(ack, droppable: false, followed: ticket.IsCompleted);
        ticket.Listen(this);
        ticket.OnCompleted(static (t, state) => ((ExaiWsConnection)state!).Send(ExaiWsFrames.Result(t.Key.RequestId, t.Result), droppable: false), this);
    }

    public void OnProgress(CallKey key, ToolCall call, ProgressReport progress)
    {
        double elapsedMs = call.StartedAt == 0 ? 0 : time.GetElapsedTime(call.StartedAt).TotalMilliseconds;
        Send(ExaiWsFrames.Progress(key.RequestId, call.Tool.Name, elapsedMs, progress), droppable: true);
    }

    public void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk) =>
        Send(ExaiWsFrames.StreamChunk(key.RequestId, sequence, chunk), droppable: false);

    /// <summary>Queues a frame: a droppable one only if there is room (a slow client loses heartbeats, never results).</summary>
    /// <param name="frame">The frame; owned by the connection from here.</param>
    /// <param name="droppable">Whether it may be dropped under back-pressure.</param>
    /// <param name="followed">Whether the caller queues another frame right after, on this thread: both leave in one write.</param>
    public void Send(PooledBuffer frame, bool droppable, bool followed = false)
    {
        if (droppable)
        {
            Socket.TrySend(WebSocketOpcode.Text, frame);
            return;
        }

        var pending = followed ? Socket.SendFollowedAsync(WebSocketOpcode.Text, frame) : Socket.SendAsync(WebSocketOpcode.Text, frame);
        if (!pending.IsCompletedSuccessfully)
        {
            _ = pending.AsTask(); // completes when queued or when the connection is gone; SendAsync observes its own errors
        }
    }
}
