using System.Text.Json;
using ExaiFast.Server.WebSockets;
using ExaiFast.Server.Mcp;

namespace ExaiFast.Server.Stdio;

/// <summary>A <c>tools/call</c> the bridge has not answered yet. Touched only by <see cref="ExaiWsBackend"/>'s event loop.</summary>
internal sealed class PendingCall(McpSession session, McpRequest request, string name, byte[] frame)
{
    public McpSession Session { get; } = session;

    public McpRequest Request { get; } = request;

    /// <summary>The exai-ws request_id: the MCP request's call key, unique in the session.</summary>
    public string RequestId => Request.Key.RequestId;

    public string Name { get; } = name;

    /// <summary>The whole <c>call_tool</c> frame, sent again as is after a reconnect.</summary>
    public byte[] Frame { get; } = frame;

    public PendingCallState State { get; set; }

    /// <summary>When it began to wait (for a slot, or for a connection): its deadlines count from here.</summary>
    public long WaitingSince { get; set; }
}

/// <summary>Where a <see cref="PendingCall"/> is.</summary>
internal enum PendingCallState : byte
{
    /// <summary>In the bridge's queue: waiting for a connection or for a free slot of the session.</summary>
    Queued,

    /// <summary>Sent (or to be sent again after a reconnect): holds one of the session's slots at the daemon.</summary>
    Sent,

    /// <summary>Cancelled by the client after it was sent; the daemon's <c>cancelled</c> (or the result) releases its slot.</summary>
    CancelSent,

    /// <summary>Cancelled while disconnected: the cancel goes out on reconnect instead of the call.</summary>
    CancelOnReconnect,

    /// <summary>Answered or forgotten; ignored wherever it is still queued.</summary>
    Done,
}

/// <summary>A <c>tools/list</c> waiting for the daemon's <c>list_tools_res</c>, or a <c>resources/list</c> or
/// <c>resources/read</c> waiting for its <c>list_threads_res</c> or <c>read_thread_res</c>, or a <c>prompts/list</c> or
/// <c>prompts/get</c> waiting for the daemon's tools (and, for <c>continue</c>, its threads).</summary>
internal sealed class PendingList(string requestId, string rawId, IMcpReply reply, byte[] frame,
    Func<JsonElement, PooledBuffer?>? answer = null, Func<string, string, PooledBuffer?>? failed = null, McpDialect dialect = default)
{
    /// <summary>How the <c>tools/list</c> answer is written.</summary>
    public McpDialect Dialect { get; } = dialect;

    /// <summary>The MCP response to the daemon's answer frame, or null when the answer asked the daemon for more (a
    /// <c>continue</c> prompt's threads) and the response waits for that; null for <c>tools/list</c>.</summary>
    public Func<JsonElement, PooledBuffer?>? Answer { get; } = answer;

    /// <summary>The MCP response to an error frame of this code and message, or null for the usual internal error.</summary>
    public Func<string, string, PooledBuffer?>? Failed { get; } = failed;

    public string RequestId { get; } = requestId;

    public string RawId { get; } = rawId;

    public IMcpReply Reply { get; } = reply;

    public byte[] Frame { get; } = frame;

    public long WaitingSince { get; set; }
}
