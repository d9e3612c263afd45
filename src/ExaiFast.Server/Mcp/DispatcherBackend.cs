using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Limits;

namespace ExaiFast.Server.Mcp;

/// <summary>The tools of this process behind MCP: calls go to the <see cref="Dispatcher"/> (same lanes, limits,
/// deadlines and single-flight as exai-ws).</summary>
public sealed class DispatcherBackend : IMcpBackend
{
    private readonly Dispatcher _dispatcher;
    private readonly IToolCatalog _tools;

    /// <summary>Creates the backend.</summary>
    public DispatcherBackend(Dispatcher dispatcher, IToolCatalog tools)
    {
        _dispatcher = dispatcher;
        _tools = tools;
    }

    /// <summary>The call rate limits per session and per client address; none if null.</summary>
    internal CallRateLimits? RateLimits { get; init; }

    /// <inheritdoc />
    public void ListTools(string rawId, ToolShape shape, IMcpReply reply) => reply.Respond(McpMessages.ToolsList(rawId, _tools, shape));

    /// <inheritdoc />
    public void StartCall(McpSession session, McpRequest request, string name, JsonElement arguments, ref ArgumentsLease lease)
    {
        // A tool error, not a JSON-RPC error: the model reads it, and its text says when to try again.
        if (RateLimits?.TryAdmit(request.Reply.ClientAddress, session.IsStateless ? null : session.SessionId) is { } limited)
        {
            session.Complete(request, new CallResult { Error = limited });
            return;
        }

        if (!_tools.TryGet(name, out var tool))
        {
            session.Reject(request, McpMessages.InvalidParams, $"Unknown tool: {McpProtocol.Truncate(name)}{DisabledTool.Note(_tools, name)}");
            return;
        }

        // MCP 2025-11-25: input validation errors are tool execution errors, so that the model can correct itself.
        var validation = tool.Validate(arguments);
        if (validation.Error is { } invalid)
        {
            session.Complete(request, CallResult.Failed(ErrorCodes.InvalidArguments, invalid));
            return;
        }

        // With a lease the call reads its arguments where they arrived, for its whole life, and a big message keeps its
        // inbound budget until the call ends; without one (stdio's small lines) the dispatcher copies them. The
        // dispatcher takes the lease whatever it answers (attached, coalesced, refused or replayed, this request's bytes
        // go back at once). MCP clients fan out and never retry a tool error: beyond the session's limit, calls wait
        // their turn. A JSON-RPC id gets a fresh key every time, so no result is kept for a repeat.
        var ticket = _dispatcher.Submit(new CallRequest(request.Key, tool, arguments, validation.Lane!, Stream: false,
            ArgumentsLease: lease, WaitForSession: true, KeepsResult: false, Plan: validation.Plan, TraceParent: request.TraceParent));
        lease = default; // the dispatcher's now

        ticket.Listen(request);
        ticket.OnCompleted(static (t, state) =>
        {
            var answered = (McpRequest)state!;
            answered.Session.Complete(answered, t.Result);
        }, request);
    }

    /// <inheritdoc />
    public void Cancel(McpSession session, McpRequest request) => _dispatcher.Cancel(request.Key);

    /// <inheritdoc />
    public void SessionEnded(McpSession session)
    {
        // Nothing to let go of: the session's end cancelled each call still in flight, which answers its ticket (a
        // cancelled request sends nothing), and MCP keeps no result for a client that comes back.
    }
}
