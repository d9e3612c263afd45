using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Dispatch;

/// <summary>Receives what a call streams while it runs: progress and stream chunks. Its answer goes to its <see cref="CallTicket"/>.</summary>
/// <remarks>
/// Called from lane slots and timers, possibly concurrently for different calls, under the call's lock: implementations
/// only enqueue (a frame into the connection's outbound channel) and never block. Never called before the door listens
/// (<see cref="CallTicket.Listen"/>), so never from inside <c>Dispatcher.Submit</c>. One execution may have several
/// listeners: the same request id sent again (attach), or an identical concurrent call (single-flight) — the
/// <c>key</c> argument says which request each notification is for.
/// </remarks>
public interface ICallListener
{
    /// <summary>A heartbeat (<see cref="ProgressReport.IsHeartbeat"/>), or a message or measure the tool reported.</summary>
    void OnProgress(CallKey key, ToolCall call, ProgressReport progress);

    /// <summary>A piece of streamed output (when the call asked for <c>stream: true</c>).</summary>
    void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk);
}
