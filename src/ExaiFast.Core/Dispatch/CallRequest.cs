using System.Diagnostics;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Dispatch;

/// <summary>A validated request to run a tool.</summary>
/// <param name="Key">Session and request id.</param>
/// <param name="Tool">The tool.</param>
/// <param name="Arguments">The arguments; read in place for the whole call when <paramref name="ArgumentsLease"/> owns their memory, else only during <see cref="Dispatcher.Submit"/> (then copied if a call is created).</param>
/// <param name="Lane">The lane chosen by <see cref="ITool.Validate"/>.</param>
/// <param name="Stream">Whether output should be streamed.</param>
/// <param name="Timeout">A shorter deadline than the default, if the client asked for one.</param>
/// <param name="ArgumentsLease">The memory behind <paramref name="Arguments"/>; <see cref="Dispatcher.Submit"/> takes it, whatever it answers.</param>
/// <param name="WaitForSlot">Whether a call beyond the caller's in-flight limit waits in the caller's queue
/// (<see cref="Options.DispatcherOptions.CallerQueueDepth"/>) instead of being refused at once: for clients that never
/// retry a refusal (MCP).</param>
/// <param name="KeepsResult">Whether the finished call's result is kept for the result TTL, so that the same key sent
/// again is answered from it (exai-ws: a client re-sends its <c>request_id</c> after a reconnect). A front door whose
/// keys never repeat (MCP: a JSON-RPC id gets a fresh key every time) says false, and the entry is freed as the call ends.</param>
/// <param name="Plan">What <see cref="ITool.Validate"/> decided besides the lane (<see cref="ToolValidation.Plan"/>), for the
/// tool's run (<see cref="ToolContext.Plan"/>).</param>
/// <param name="TraceParent">The client's trace (a W3C <c>traceparent</c> it sent), the parent of the call's span; default for none.</param>
public readonly record struct CallRequest(CallKey Key, ITool Tool, JsonElement Arguments, string Lane, bool Stream, TimeSpan? Timeout = null,
    ArgumentsLease ArgumentsLease = default, bool WaitForSlot = false, bool KeepsResult = true, object? Plan = null,
    ActivityContext TraceParent = default);
