using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Calls;

/// <summary>Receives what happens to a call: progress, stream chunks, and exactly one completion per key.</summary>
/// <remarks>
/// Called from lane slots, timers and — for a call that ends before its first real await — from inside
/// <c>Dispatcher.Submit</c> on the submitting thread, possibly concurrently for different calls: implementations only
/// enqueue (a frame into the connection's outbound channel) and never block. One execution may have several listeners:
/// the same request id sent again (attach), or an identical concurrent call (single-flight) — the <c>key</c> argument
/// says which request each notification answers.
/// </remarks>
public interface ICallListener
{
    /// <summary>A heartbeat (<see cref="ProgressReport.IsHeartbeat"/>), or a message or measure the tool reported.</summary>
    void OnProgress(CallKey key, ToolCall call, ProgressReport progress);

    /// <summary>A piece of streamed output (when the call asked for <c>stream: true</c>).</summary>
    void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk);

    /// <summary>The call ended for the <c>key</c> argument; <paramref name="result"/> is final.</summary>
    void OnCompleted(CallKey key, ToolCall call, CallResult result);

    /// <summary>
    /// Whether a finished call's result is kept for the result TTL, so that the same key sent again is answered from it
    /// (exai-ws: a client re-sends its <c>request_id</c> after a reconnect). A front door whose keys never repeat (MCP:
    /// a JSON-RPC id gets a fresh key every time) says false, and the entry is freed as the call ends.
    /// </summary>
    bool ReplaysResults => true;
}
