using System.Globalization;
using ExaiFast.Core.Calls;
using ExaiFast.Server.WebSockets;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// One MCP session, whatever carries it: the agreed protocol version, the <c>tools/call</c> requests in flight, and
/// the turning of their ends into JSON-RPC responses and progress notifications.
/// </summary>
/// <remarks>
/// A WebSocket or stdio connection is one session; over Streamable HTTP a session is named by <c>Mcp-Session-Id</c>
/// and spans many POSTs (a request without one gets a session of its own). Each <c>tools/call</c> gets a call key of
/// its own (a per-session sequence number plus the JSON-RPC id): MCP clients reuse ids, and a reused id must run
/// again, not replay an earlier result as exai-ws's request ids do. Thread-safe: backends report from any thread.
/// </remarks>
internal sealed class McpSession
{
    // The requests in flight by JSON-RPC id (raw JSON). A plain dictionary under its own lock: a session holds a few
    // requests at a time, and a stateless HTTP POST makes a session for one (a concurrent dictionary cost it ~1 KB).
    private readonly Dictionary<string, McpRequest> _pending = new(StringComparer.Ordinal);
    private long _sequence;
    private int _ended;

    /// <summary>Creates a session.</summary>
    /// <param name="sessionId">
    /// Unique in the daemon; the dispatcher's caller (limits, queue, stored results) is this id. It holds a
    /// <see cref="CallerSeparator"/>, which no exai-ws <c>session_id</c> may hold, so the two doors' callers never meet: an
    /// exai-ws client cannot name an MCP session's calls or results, nor the reverse.
    /// </param>
    /// <param name="transport">For logs and metrics: <c>websocket</c>, <c>http</c> or <c>stdio</c>.</param>
    public McpSession(string sessionId, string transport)
    {
        if (!sessionId.Contains(CallerSeparator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"an MCP session's id holds '{CallerSeparator}' (\"mcp:…\"), keeping it apart from exai-ws session ids", nameof(sessionId));
        }

        SessionId = sessionId;
        Transport = transport;
    }

    /// <summary>What every MCP caller holds and no exai-ws <c>session_id</c> may.</summary>
    public const char CallerSeparator = ':';

    /// <summary>The session's id (also its dispatcher caller).</summary>
    public string SessionId { get; }

    /// <summary>Which transport carries it.</summary>
    public string Transport { get; }

    /// <summary>A session made for one Streamable HTTP POST without <c>Mcp-Session-Id</c>, and gone with it: the
    /// per-session call limit has nothing to count there (a bucket per POST would only cost memory).</summary>
    internal bool IsStateless { get; init; }

    /// <summary>
    /// Who the session's requests act for, in OAuth mode: the access token's subject (<see cref="AccessGuard.PrincipalOf"/>);
    /// null without OAuth and for the daemon's own token. A task belongs to the principal that made it.
    /// </summary>
    internal string? Principal { get; init; }

    /// <summary>The protocol version agreed in <c>initialize</c> (null before it).</summary>
    public string? ProtocolVersion { get; internal set; }

    /// <summary>Whether <see cref="End"/> ran: later requests are refused.</summary>
    public bool HasEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>Requests whose call has not answered yet.</summary>
    public int PendingCount
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>How many requests <see cref="End"/> found in flight (and cancelled).</summary>
    public int CancelledAtEnd { get; private set; }

    /// <summary>Registers a <c>tools/call</c> answered in <paramref name="dialect"/>; false if a request with this id is still in flight.</summary>
    /// <remarks>A modern request is a dispatcher session of its own, as a stateless POST is: 2026-07-28 has no
    /// sessions, so a connection's requests share no per-session limit; the connection still cancels them when it ends.</remarks>
    internal bool TryBegin(string rawId, string? rawProgressToken, IMcpReply reply, McpDialect dialect, out McpRequest request)
    {
        long n = Interlocked.Increment(ref _sequence);
        string sequence = n.ToString(CultureInfo.InvariantCulture);
        var key = new CallKey(dialect.IsModern ? string.Concat(SessionId, "/", sequence) : SessionId, string.Concat(sequence, ":", rawId));
        request = new McpRequest(this, rawId, rawProgressToken, key, n, reply, dialect: dialect);
        lock (_pending)
        {
            return _pending.TryAdd(rawId, request);
        }
    }

    /// <summary>The requests in flight that answer to <paramref name="reply"/>.</summary>
    internal List<McpRequest> PendingFor(IMcpReply reply)
    {
        lock (_pending)
        {
            return _pending.Values.Where(r => ReferenceEquals(r.Reply, reply)).ToList();
        }
    }

    /// <summary>The in-flight request with this JSON-RPC id (as raw JSON).</summary>
    internal bool TryGetById(string rawId, out McpRequest request)
    {
        lock (_pending)
        {
            return _pending.TryGetValue(rawId, out request!);
        }
    }

    /// <summary>The request's call ended: its one response goes out, unless it was cancelled (MCP: then none follows).
    /// An answer over the session's output budget is cut there, with a notice saying where the rest is (<see cref="OutputCut"/>).</summary>
    public void Answer(McpRequest request, CallResult result)
    {
        Forget(request);
        if (result.ContinuationId is { } thread && Guid.TryParse(thread, out var id))
        {
            Remember(id);
        }

        Answer(request, McpMessages.ToolResult(request.RawId, result, request.Dialect, OutputCut.Of(result, MaxOutputTokens)));
    }

    /// <summary>Most tokens of a tool's answer sent as is (<c>MAX_MCP_OUTPUT_TOKENS</c>); 0: no limit. Set by the protocol.</summary>
    internal int MaxOutputTokens { get; set; }

    // The threads this session's calls made or continued, newest last; bounded, the oldest forgotten first.
    private readonly List<Guid> _threads = [];

    /// <summary>The threads this session's calls made or continued (at most <see cref="Core.Threads.IThreadArchive.MaxListed"/>, the newest).</summary>
    public IReadOnlyCollection<Guid> Threads
    {
        get
        {
            lock (_threads)
            {
                return [.. _threads];
            }
        }
    }

    private void Remember(Guid id)
    {
        lock (_threads)
        {
            _threads.Remove(id);
            if (_threads.Count >= Core.Threads.IThreadArchive.MaxListed)
            {
                _threads.RemoveAt(0);
            }

            _threads.Add(id);
        }
    }

    /// <summary>The request is answered with <paramref name="response"/>, built by the caller (a task's handle).</summary>
    internal void Respond(McpRequest request, PooledBuffer response)
    {
        Forget(request);
        Answer(request, response);
    }

    /// <summary>A modern request refused before its call began, with the status Streamable HTTP answers it with.</summary>
    internal void Refuse(McpRequest request, PooledBuffer refusal, int httpStatus)
    {
        Forget(request);
        if (request.TryAnswer())
        {
            request.Reply.Respond(refusal, httpStatus);
        }
        else
        {
            refusal.Return(); // cancelled meanwhile
        }
    }

    /// <summary>The request failed as a protocol fault (unknown tool, malformed params): a JSON-RPC error answers it.</summary>
    public void Reject(McpRequest request, int code, string message)
    {
        Forget(request);
        Answer(request, McpMessages.Error(request.RawId, code, message));
    }

    // The response is built before the request is marked answered: a failure to build it must not leave a request
    // that counts as answered but never was.
    private static void Answer(McpRequest request, PooledBuffer response)
    {
        if (request.TryAnswer())
        {
            request.Reply.Respond(response);
        }
        else
        {
            response.Return(); // cancelled, or answered already
        }
    }

    /// <summary>Progress of the request's call: a notification when the client gave a progress token, rate-limited.</summary>
    /// <param name="request">The request.</param>
    /// <param name="report">What the tool reported, or a heartbeat.</param>
    public void Progress(McpRequest request, ProgressReport report)
    {
        if (request.ProgressToken is { } token)
        {
            request.TrySendProgress(token, report); // nothing once the request is answered or cancelled
        }
    }

    /// <summary>The client cancelled the request: no response will follow. False if it had already been answered.</summary>
    internal bool TryCancel(McpRequest request)
    {
        bool cancelled = request.TryCancel();
        Forget(request);
        if (cancelled)
        {
            request.Reply.Cancelled();
        }

        return cancelled;
    }

    /// <summary>Ends the session: every request still in flight is cancelled, newest first; returns them in that order.</summary>
    /// <remarks>
    /// Newest first, so that the calls still waiting for a session slot are cancelled before the running ones: a running
    /// call's end would otherwise hand its slot to a waiter that starts only to be cancelled.
    /// </remarks>
    internal IReadOnlyList<McpRequest> End()
    {
        Interlocked.Exchange(ref _ended, 1);
        List<McpRequest> pending;
        lock (_pending)
        {
            pending = _pending.Count == 0 ? [] : [.. _pending.Values.OrderByDescending(r => r.Sequence)];
        }

        CancelledAtEnd = pending.Count;
        foreach (var request in pending)
        {
            TryCancel(request);
        }

        return pending;
    }

    private void Forget(McpRequest request)
    {
        lock (_pending)
        {
            if (_pending.TryGetValue(request.RawId, out var registered) && ReferenceEquals(registered, request))
            {
                _pending.Remove(request.RawId);
            }
        }
    }
}
