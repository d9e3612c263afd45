using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Threads;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Limits;

namespace ExaiFast.Server.Mcp;

/// <summary>The tools of this process behind MCP: calls go to the <see cref="Dispatcher"/> (same lanes, limits,
/// deadlines and single-flight as exai-ws).</summary>
internal sealed class DispatcherBackend : IMcpBackend
{
    private readonly Dispatcher _dispatcher;
    private readonly IToolCatalog _tools;
    private readonly IThreadArchive? _threads;
    private readonly Func<bool> _trusted;
    private readonly Lazy<PromptCatalog> _prompts;

    /// <summary>Creates the backend.</summary>
    /// <param name="dispatcher">Where calls go.</param>
    /// <param name="tools">The tools.</param>
    /// <param name="threads">The conversation threads, for resources; null: none listed, none read.</param>
    /// <param name="trusted">Whether the daemon's callers may list all its threads (<see cref="ThreadTrust"/>); null: no.</param>
    public DispatcherBackend(Dispatcher dispatcher, IToolCatalog tools, IThreadArchive? threads = null, Func<bool>? trusted = null)
    {
        _dispatcher = dispatcher;
        _tools = tools;
        _threads = threads;
        _trusted = trusted ?? (static () => false);
        _prompts = new(() => PromptCatalog.Of(tools)); // the catalog never changes: its prompts are made once, when first asked for
    }

    /// <summary>The call rate limits per session and per client address; none if null.</summary>
    internal CallRateLimits? RateLimits { get; init; }

    /// <summary>The tasks a modern client's calls become when it declared the extension; null: none are made.</summary>
    internal McpTasks? Tasks { get; init; }

    McpTasks? IMcpBackend.Tasks => Tasks;

    /// <inheritdoc />
    public void ListTools(string rawId, McpDialect dialect, IMcpReply reply) => reply.Respond(McpMessages.ToolsList(rawId, _tools, dialect));

    /// <inheritdoc />
    public void StartCall(McpSession session, McpRequest request, string name, JsonElement arguments, ref ArgumentsLease lease)
    {
        // A tool error, not a JSON-RPC error: the model reads it, and its text says when to try again.
        // A stateless POST and a modern request have no session to count (each is a dispatcher session of its own).
        if (RateLimits?.TryAdmit(request.Reply.ClientAddress, session.IsStateless || request.Dialect.IsModern ? null : session.SessionId) is { } limited)
        {
            session.Answer(request, new CallResult { Error = limited });
            return;
        }

        if (!_tools.TryGet(name, out var tool))
        {
            session.Reject(request, McpMessages.InvalidParams, $"Unknown tool: {McpProtocol.Truncate(name)}{DisabledTool.Note(_tools, name)}");
            return;
        }

        // A tool that answers only with a task cannot serve a client that cannot take one (ext-tasks "Required
        // Capabilities": -32021, naming the extension; Streamable HTTP's 400 where the revision has it), and says so
        // before it runs.
        if (tool.Tasks == TaskSupport.Required && !request.Dialect.AcceptsTask)
        {
            var refusal = McpMessages.ToolNeedsTasks(request.RawId, tool.Name);
            if (request.Dialect.IsModern)
            {
                session.Refuse(request, refusal, 400);
            }
            else
            {
                session.Respond(request, refusal);
            }

            return;
        }

        // MCP 2025-11-25: input validation errors are tool execution errors, so that the model can correct itself.
        var validation = tool.Validate(arguments);
        if (validation.Error is { } invalid)
        {
            session.Answer(request, CallResult.Failed(ErrorCodes.InvalidArguments, invalid));
            return;
        }

        if (request.Dialect.AcceptsTask && Tasks is { Available: true } tasks)
        {
            StartTask(tasks, request, tool, arguments, validation, ref lease);
            return;
        }

        // With a lease the call reads its arguments where they arrived, for its whole life, and a big message keeps its
        // inbound budget until the call ends; without one (stdio's small lines) the dispatcher copies them. The
        // dispatcher takes the lease whatever it answers (attached, coalesced, refused or replayed, this request's bytes
        // go back at once). MCP clients fan out and never retry a tool error: beyond the session's limit, calls wait
        // their turn. A JSON-RPC id gets a fresh key every time, so no result is kept for a repeat.
        var ticket = _dispatcher.Submit(new CallRequest(request.Key, tool, arguments, validation.Lane!, Stream: false,
            ArgumentsLease: lease, WaitForSlot: true, KeepsResult: false, Plan: validation.Plan, TraceParent: request.TraceParent));
        lease = default; // the dispatcher's now

        ticket.Listen(request);
        ticket.OnCompleted(static (t, state) =>
        {
            var answered = (McpRequest)state!;
            answered.Session.Answer(answered, t.Result);
        }, request);
    }

    // A call that may become a task: submitted under the task's own key with its result kept (the task store is the
    // result store), answered as any call if it ends within the window, else with the task's handle.
    private void StartTask(McpTasks tasks, McpRequest request, ITool tool, JsonElement arguments, ToolValidation validation, ref ArgumentsLease lease)
    {
        var (taskId, key) = tasks.Next(request.Session.Principal);
        request.TaskKey = key;
        var ticket = _dispatcher.Submit(new CallRequest(key, tool, arguments, validation.Lane!, Stream: false,
            ArgumentsLease: lease, WaitForSlot: true, KeepsResult: true, Plan: validation.Plan, TraceParent: request.TraceParent));
        lease = default; // the dispatcher's now
        tasks.Watch(taskId, ticket, request, atOnce: tool.Tasks != TaskSupport.WhenLong,
            static (answered, result) => answered.Session.Answer(answered, result),
            (handed, task) => handed.Session.Respond(handed, McpMessages.TaskCreated(handed.RawId, task, tasks)));
    }

    /// <inheritdoc />
    public void ListResources(McpSession session, string rawId, ThreadCursor? after, McpDialect dialect, IMcpReply reply) =>
        _ = ListResourcesAsync(session, rawId, after, dialect, reply);

    /// <inheritdoc />
    public void ReadResource(McpSession session, string rawId, Guid thread, string uri, McpDialect dialect, IMcpReply reply) =>
        _ = ReadResourceAsync(rawId, thread, uri, dialect, reply);

    // A store in Redis answers later: the reader goes on meanwhile, and the reply takes the answer when it comes.
    private async Task ListResourcesAsync(McpSession session, string rawId, ThreadCursor? after, McpDialect dialect, IMcpReply reply)
    {
        if (_threads is null)
        {
            reply.Respond(ThreadResources.List(rawId, [], after, dialect));
            return;
        }

        try
        {
            var threads = await _threads.ListAsync(session.Threads, _trusted(), CancellationToken.None).ConfigureAwait(false);
            reply.Respond(ThreadResources.List(rawId, threads, after, dialect));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            reply.Respond(StoreFailure(rawId, ex));
        }
    }

    private async Task ReadResourceAsync(string rawId, Guid thread, string uri, McpDialect dialect, IMcpReply reply)
    {
        try
        {
            var read = _threads is null ? null : await _threads.ReadAsync(thread, CancellationToken.None).ConfigureAwait(false);
            reply.Respond(read is { } r ? ThreadResources.Read(rawId, thread, r.Text, dialect) : ThreadResources.NotFound(rawId, uri, dialect));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            reply.Respond(StoreFailure(rawId, ex));
        }
    }

    // The store's own message (it never names an address or a password); anything else is a bug, told as such.
    private static PooledBuffer StoreFailure(string rawId, Exception ex) => ex is StoreUnavailableException unavailable
        ? McpMessages.Error(rawId, McpMessages.InternalError, $"{ErrorCodes.StoreUnavailable}: {unavailable.Message}")
        : McpMessages.Error(rawId, McpMessages.InternalError, "Internal error: reading the conversation threads failed");

    /// <inheritdoc />
    public void ListPrompts(McpSession session, string rawId, McpDialect dialect, IMcpReply reply) =>
        reply.Respond(_prompts.Value.List(rawId, dialect));

    /// <inheritdoc />
    public void GetPrompt(McpSession session, string rawId, PromptAsk ask, McpDialect dialect, IMcpReply reply)
    {
        var prompts = _prompts.Value;
        if (prompts.Refusal(rawId, ask) is { } refused)
        {
            reply.Respond(refused);
        }
        else if (PromptCatalog.NeedsThread(ask))
        {
            _ = ContinueAsync(session, rawId, ask, dialect, prompts, reply);
        }
        else
        {
            reply.Respond(prompts.Get(rawId, ask, dialect));
        }
    }

    // continue: the session's threads (and the daemon's recent ones, when it trusts its callers), as resources/list has them.
    private async Task ContinueAsync(McpSession session, string rawId, PromptAsk ask, McpDialect dialect, PromptCatalog prompts, IMcpReply reply)
    {
        try
        {
            var threads = _threads is null ? [] : await _threads.ListAsync(session.Threads, _trusted(), CancellationToken.None).ConfigureAwait(false);
            reply.Respond(prompts.Get(rawId, ask, dialect, PromptCatalog.Latest(session.Threads, threads)));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            reply.Respond(StoreFailure(rawId, ex));
        }
    }

    /// <inheritdoc />
    public void Cancel(McpSession session, McpRequest request) => _dispatcher.Cancel(request.TaskKey ?? request.Key);

    /// <inheritdoc />
    public void SessionEnded(McpSession session)
    {
        // Nothing to let go of: the session's end cancelled each call still in flight, which answers its ticket (a
        // cancelled request sends nothing), and MCP keeps no result for a client that comes back.
    }
}
