using System.Text.Json;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// What lists and runs the tools behind an MCP session: the daemon's dispatcher (WebSocket, Streamable HTTP,
/// <c>stdio --in-process</c>), or a daemon reached over exai-ws (the stdio bridge).
/// </summary>
/// <remarks>
/// The MCP semantics (JSON-RPC, versions, ids, progress tokens, cancellation, "no response after a cancel") live in
/// <see cref="McpProtocol"/> and <see cref="McpSession"/> once; a backend only starts and stops work and reports its
/// end through <see cref="McpSession.Complete"/>, <see cref="McpSession.Reject"/> and <see cref="McpSession.Progress"/>.
/// Called on the transport's reader: implementations never block.
/// </remarks>
public interface IMcpBackend
{
    /// <summary>Answers <c>tools/list</c> through <paramref name="reply"/> (now or later), under <paramref name="rawId"/>.</summary>
    void ListTools(string rawId, IMcpReply reply);

    /// <summary>
    /// Starts <c>tools/call</c> of <paramref name="name"/>; its end must reach the session exactly once. The arguments
    /// are valid only during this call (copy what outlives it).
    /// </summary>
    void StartCall(McpSession session, McpRequest request, string name, JsonElement arguments);

    /// <summary>Stops the request's work (the client cancelled it, or its session ended). No response is sent for it.</summary>
    void Cancel(McpSession session, McpRequest request);

    /// <summary>The session is over (its connection closed, or it was deleted or expired); called once, after its last request.</summary>
    void SessionEnded(McpSession session);
}
