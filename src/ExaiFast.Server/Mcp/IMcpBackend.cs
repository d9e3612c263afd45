using System.Text.Json;
using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// What lists and runs the tools behind an MCP session: the daemon's dispatcher (WebSocket, Streamable HTTP,
/// <c>stdio --in-process</c>), or a daemon reached over exai-ws (the stdio bridge).
/// </summary>
/// <remarks>
/// The MCP semantics (JSON-RPC, versions, ids, progress tokens, cancellation, "no response after a cancel") live in
/// <see cref="McpProtocol"/> and <see cref="McpSession"/> once; a backend only starts and stops work and reports its
/// end through <see cref="McpSession.Answer(McpRequest, CallResult)"/>, <see cref="McpSession.Reject"/> and <see cref="McpSession.Progress"/>.
/// Called on the transport's reader: implementations never block.
/// </remarks>
internal interface IMcpBackend
{
    /// <summary>Answers <c>tools/list</c> through <paramref name="reply"/> (now or later), under <paramref name="rawId"/>, in <paramref name="dialect"/>.</summary>
    void ListTools(string rawId, McpDialect dialect, IMcpReply reply);

    /// <summary>
    /// Starts <c>tools/call</c> of <paramref name="name"/>; its end must reach the session exactly once.
    /// </summary>
    /// <param name="session">The request's session.</param>
    /// <param name="request">The request, registered in <paramref name="session"/>.</param>
    /// <param name="name">The tool's name.</param>
    /// <param name="arguments">The arguments (a JSON object). Valid only during this call unless the backend takes
    /// <paramref name="lease"/>.</param>
    /// <param name="lease">The memory behind <paramref name="arguments"/> (the message's document and bytes, and for a
    /// big message its inbound budget), or empty when the transport keeps the bytes. A backend that reads the arguments
    /// after this returns takes it by setting it to <c>default</c>, and then gives it back exactly once, when nothing
    /// reads them any more (the dispatcher does, when the call ends). One that leaves it must copy what it keeps: the
    /// caller gives the lease back as soon as this returns or throws.</param>
    void StartCall(McpSession session, McpRequest request, string name, JsonElement arguments, ref ArgumentsLease lease);

    /// <summary>
    /// Answers <c>resources/list</c> through <paramref name="reply"/> (now or later): the threads <paramref name="session"/>'s
    /// calls made or continued (<see cref="McpSession.Threads"/>), and the daemon's recent ones when it trusts the caller,
    /// paged by <see cref="ThreadResources.List"/> after <paramref name="after"/>.
    /// </summary>
    void ListResources(McpSession session, string rawId, ThreadCursor? after, McpDialect dialect, IMcpReply reply);

    /// <summary>Answers <c>resources/read</c> of thread <paramref name="thread"/> (its URI <paramref name="uri"/>) through <paramref name="reply"/>.</summary>
    void ReadResource(McpSession session, string rawId, Guid thread, string uri, McpDialect dialect, IMcpReply reply);

    /// <summary>Answers <c>prompts/list</c> through <paramref name="reply"/> (now or later): the prompts of the tools it lists (<see cref="PromptCatalog"/>).</summary>
    void ListPrompts(McpSession session, string rawId, McpDialect dialect, IMcpReply reply);

    /// <summary>
    /// Answers <c>prompts/get</c> through <paramref name="reply"/> (now or later) with <see cref="PromptCatalog.Get"/>, or its
    /// refusal; <c>continue</c> without a thread named goes on with the newest of <paramref name="session"/>'s threads.
    /// </summary>
    void GetPrompt(McpSession session, string rawId, PromptAsk ask, McpDialect dialect, IMcpReply reply);

    /// <summary>The tasks its calls can become (<c>io.modelcontextprotocol/tasks</c>); null when it makes none (the stdio
    /// bridge: its daemon keeps no result it could be asked for by task).</summary>
    internal McpTasks? Tasks => null;

    /// <summary>Stops the request's work (the client cancelled it, or its session ended). No response is sent for it.</summary>
    void Cancel(McpSession session, McpRequest request);

    /// <summary>The session is over (its connection closed, or it was deleted or expired); called once, after its last request.</summary>
    void SessionEnded(McpSession session);
}
