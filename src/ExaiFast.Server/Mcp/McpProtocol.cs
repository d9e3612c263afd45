using System.Diagnostics;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tracing;
using ExaiFast.Server.Logging;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// The MCP semantics, once for every transport: JSON-RPC 2.0 parsing and errors, <c>initialize</c> with version
/// negotiation, <c>server/discover</c>, <c>ping</c>, <c>tools/list</c>, <c>tools/call</c>, the thread resources and
/// <c>notifications/cancelled</c>. Shared by all sessions; stateless itself.
/// </summary>
/// <remarks>
/// Dual-era (spec 2026-07-28 <c>basic/versioning.mdx</c>): a request whose <c>_meta</c> names its revision (or, over
/// Streamable HTTP, whose <c>MCP-Protocol-Version</c> is 2026-07-28) is served as that revision asks, from what it
/// carries alone (<c>McpProtocol.Modern.cs</c>); any other is served as the session's <c>initialize</c> agreed, as before.
/// </remarks>
/// <remarks>
/// <para>A transport hands each message to <c>Handle</c> or <c>HandleAsync</c> with the session it belongs to and where its
/// answer goes. Runs on the transport's reader and never waits for work (a big message waits only for its own parse):
/// the backend starts work and reports its end to the session.</para>
/// </remarks>
internal sealed partial class McpProtocol
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    private readonly IMcpBackend _backend;
    private readonly ILogger _logger;
    private readonly LogRateLimit _failures = new(perMinute: 10);

    /// <summary>Creates the protocol over a backend.</summary>
    public McpProtocol(IMcpBackend backend, ILogger logger)
    {
        _backend = backend;
        _logger = logger;
    }

    /// <summary>Most tokens of a tool's answer an MCP client gets as is (<c>MAX_MCP_OUTPUT_TOKENS</c>); 0: no limit.</summary>
    public int MaxOutputTokens { get; init; }

    /// <summary>Longest <c>prompt</c> or <c>step</c> of a <c>tools/call</c>, in characters (<c>MCP_PROMPT_SIZE_LIMIT</c>); 0: no limit.</summary>
    public int PromptSizeLimit { get; init; }

    /// <summary>The backend that lists and runs the tools.</summary>
    public IMcpBackend Backend => _backend;

    /// <summary>
    /// Handles one message of <paramref name="session"/> whose bytes stay the caller's (stdio's small line, read in place):
    /// a <c>tools/call</c> gets no lease, so the backend copies the arguments it keeps. Answers (if it needs an answer)
    /// go to <paramref name="reply"/>.
    /// </summary>
    /// <returns>What the message was, and its method (null unless a request or notification).</returns>
    public (McpMessageKind Kind, string? Method) Handle(McpSession session, ReadOnlyMemory<byte> payload, IMcpReply reply)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(UnicodeChecked(payload), ParseOptions);
        }
        catch (JsonException)
        {
            return NotJson(reply);
        }

        using (document)
        {
            var none = default(ArgumentsLease);
            return HandleParsed(session, document, reply, ref none, transportTrace: default, http: null);
        }
    }

    /// <summary>
    /// Handles one message of <paramref name="session"/> whose bytes the caller hands over (a WebSocket message, an
    /// HTTP body, a big stdio line). A <c>tools/call</c> hands them on, with their document, to the call, which reads
    /// its arguments where they arrived and gives them back when it ends; anything else gives them back once handled.
    /// A big message, under the inbound budget (<see cref="PooledBuffer.Owner"/> set), is parsed and disposed where the
    /// shared pool keeps none of its metadata (<see cref="BigMessageJson"/>), and holds its budget that long.
    /// </summary>
    /// <param name="session">The session the message belongs to.</param>
    /// <param name="payload">The message's bytes, handed over.</param>
    /// <param name="reply">Where its answer goes.</param>
    /// <param name="transportTrace">The transport's trace context (an HTTP POST's <c>traceparent</c>).</param>
    /// <param name="http">A Streamable HTTP POST's MCP headers, checked against the body; null on other transports.</param>
    /// <returns>What the message was, and its method (null unless a request or notification).</returns>
    public ValueTask<(McpMessageKind Kind, string? Method)> HandleAsync(McpSession session, PooledBuffer payload, IMcpReply reply, ActivityContext transportTrace = default, McpHttpEnvelope? http = null)
    {
        if (payload.Owner is not null)
        {
            return HandleBigAsync(session, payload, reply, transportTrace, http);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(UnicodeChecked(payload.Memory), ParseOptions);
        }
        catch (JsonException)
        {
            payload.Return();
            return new(NotJson(reply));
        }
        catch
        {
            payload.Return();
            throw;
        }

        return new(HandleOwned(session, document, payload, reply, transportTrace, http));
    }

    private async ValueTask<(McpMessageKind Kind, string? Method)> HandleBigAsync(McpSession session, PooledBuffer payload, IMcpReply reply, ActivityContext transportTrace, McpHttpEnvelope? http)
    {
        JsonDocument document;
        try
        {
            document = await BigMessageJson.ParseAsync(UnicodeChecked(payload.Memory), ParseOptions).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            payload.Return();
            return NotJson(reply);
        }
        catch
        {
            payload.Return();
            throw;
        }

        return HandleOwned(session, document, payload, reply, transportTrace, http);
    }

    // The document and the payload it reads travel together as one lease: a backend that keeps the arguments takes it
    // (the dispatcher, on admission); otherwise it is given back here, once (a big one's owner disposes the document
    // off the pool and returns the budget).
    private (McpMessageKind Kind, string? Method) HandleOwned(McpSession session, JsonDocument document, PooledBuffer payload, IMcpReply reply, ActivityContext transportTrace, McpHttpEnvelope? http)
    {
        var lease = new ArgumentsLease(document, payload.Array, payload.Owner);
        try
        {
            return HandleParsed(session, document, reply, ref lease, transportTrace, http);
        }
        finally
        {
            lease.Dispose(); // nothing when taken
        }
    }

    // A parse checks neither the UTF-8 inside strings nor that \u escapes pair their surrogates: an HTTP body, a stdio
    // line or a WebSocket message that breaks either would parse, then fail where a string is read — deep in a tool, or
    // here — with an internal error. Both checks are vectorized, nothing beside a parse.
    private static ReadOnlyMemory<byte> UnicodeChecked(ReadOnlyMemory<byte> bytes) =>
        JsonUnicode.IsValid(bytes.Span) ? bytes : throw new JsonException("the message is not Unicode text");

    private static (McpMessageKind Kind, string? Method) NotJson(IMcpReply reply)
    {
        reply.Respond(McpMessages.Error(null, McpMessages.ParseError, "Parse error: the message is not valid JSON"));
        return (McpMessageKind.Invalid, null);
    }

    /// <summary>Handles one parsed message; the caller disposes <paramref name="document"/> afterwards — through
    /// <paramref name="lease"/> when it has one, unless a backend took it (then <paramref name="lease"/> is empty).</summary>
    private (McpMessageKind Kind, string? Method) HandleParsed(McpSession session, JsonDocument document, IMcpReply reply, ref ArgumentsLease lease, ActivityContext transportTrace, McpHttpEnvelope? http)
    {
        string? rawId = null;
        try
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                reply.Respond(McpMessages.Error(null, McpMessages.InvalidRequest,
                    root.ValueKind == JsonValueKind.Array ? "Invalid Request: batches are not supported (MCP 2025-06-18 removed them)" : "Invalid Request: not a JSON object"));
                return (McpMessageKind.Invalid, null);
            }

            bool hasId = root.TryGetProperty("id"u8, out var id);
            if (hasId && id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
            {
                rawId = id.GetRawText();
            }

            if (!root.TryGetProperty("jsonrpc"u8, out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"u8))
            {
                reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\""));
                return (McpMessageKind.Invalid, null);
            }

            if (!root.TryGetProperty("method"u8, out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
            {
                if (!root.TryGetProperty("result"u8, out _) && !root.TryGetProperty("error"u8, out _))
                {
                    reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidRequest, "Invalid Request: no \"method\""));
                    return (McpMessageKind.Invalid, null);
                }

                return (McpMessageKind.Response, null); // this server sends no requests: nothing to match it with
            }

            string method = methodElement.GetString()!;
            var parameters = root.TryGetProperty("params"u8, out var p) ? p : EmptyObject;
            var meta = McpRequestMeta.Read(parameters);
            if (http is { } envelope && TryRefuseEnvelope(envelope, hasId ? rawId : null, hasId, method, parameters, meta, out var refusal))
            {
                reply.Respond(refusal, 400);
                return (hasId && rawId is not null ? McpMessageKind.Request : McpMessageKind.Invalid, method);
            }

            if (!hasId)
            {
                OnNotification(session, method, parameters);
                return (McpMessageKind.Notification, method);
            }

            if (rawId is null)
            {
                reply.Respond(McpMessages.Error(null, McpMessages.InvalidRequest, "Invalid Request: \"id\" must be a string or a number"));
                return (McpMessageKind.Invalid, method);
            }

            // Over Streamable HTTP a modern header without the _meta revision was refused above: _meta alone decides.
            if (meta.IsModern)
            {
                OnModernRequest(session, rawId, method, parameters, meta, reply, ref lease, transportTrace);
                return (McpMessageKind.Request, method);
            }

            if (parameters.ValueKind != JsonValueKind.Object)
            {
                reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: \"params\" must be an object"));
                return (McpMessageKind.Request, method);
            }

            OnRequest(session, rawId, method, parameters, reply, ref lease, transportTrace);
            return (McpMessageKind.Request, method);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug in handling one message must not take the session (and its other calls) down with it.
            LogFailure(session, ex);
            reply.Respond(McpMessages.Error(rawId, McpMessages.InternalError, "Internal error: see the daemon's log"));
            return (rawId is null ? McpMessageKind.Invalid : McpMessageKind.Request, null);
        }
    }

    /// <summary>Ends a session: its calls in flight are cancelled (nobody can collect them) and the backend is told.</summary>
    public void EndSession(McpSession session)
    {
        foreach (var request in session.End())
        {
            _backend.Cancel(session, request);
        }

        _backend.SessionEnded(session);
    }

    /// <summary>The transport lost the way to answer <paramref name="reply"/> (an HTTP client dropped its POST): the
    /// requests answering there are cancelled, as if the client had sent <c>notifications/cancelled</c>.</summary>
    public void Abandon(McpSession session, IMcpReply reply)
    {
        foreach (var request in session.PendingFor(reply))
        {
            if (session.TryCancel(request))
            {
                _backend.Cancel(session, request);
            }
        }
    }

    // A legacy request: served as the session's initialize agreed.
    private void OnRequest(McpSession session, string rawId, string method, JsonElement parameters, IMcpReply reply, ref ArgumentsLease lease, ActivityContext transportTrace)
    {
        var dialect = McpDialect.Legacy(session.ProtocolVersion);
        switch (method)
        {
            case "initialize":
                string? asked = parameters.TryGetProperty("protocolVersion"u8, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                session.ProtocolVersion = McpMessages.Negotiate(asked);
                reply.Respond(McpMessages.Initialized(rawId, session.ProtocolVersion, ServerInfo.Version));
                break;
            case "server/discover":
                // A 2026-07-28 request, which names its revision in _meta (as the C# SDK answers one without).
                reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, DiscoverNeedsMeta));
                break;
            case "ping":
                reply.Respond(McpMessages.EmptyResult(rawId));
                break;
            case "tools/list":
            case "tools/call":
            case "resources/list":
            case "resources/read":
            case "prompts/list":
            case "prompts/get":
            case "resources/templates/list":
                OnCommonRequest(session, rawId, method, parameters, dialect, reply, ref lease, transportTrace);
                break;
            default:
                reply.Respond(McpMessages.Error(rawId, McpMessages.MethodNotFound, $"Method not found: {Truncate(method)}"));
                break;
        }
    }

    // The requests both eras share, answered in the request's dialect.
    private void OnCommonRequest(McpSession session, string rawId, string method, JsonElement parameters, McpDialect dialect, IMcpReply reply, ref ArgumentsLease lease, ActivityContext transportTrace)
    {
        switch (method)
        {
            case "tools/list":
                _backend.ListTools(rawId, dialect, reply);
                break;
            case "tools/call":
                session.MaxOutputTokens = MaxOutputTokens;
                CallTool(session, rawId, parameters, dialect, reply, ref lease, transportTrace);
                break;
            case "resources/list":
                ListResources(session, rawId, parameters, dialect, reply);
                break;
            case "resources/read":
                ReadResource(session, rawId, parameters, dialect, reply);
                break;
            case "resources/templates/list":
                reply.Respond(ThreadResources.Templates(rawId, dialect));
                break;
            case "prompts/list":
                ListPrompts(session, rawId, parameters, dialect, reply);
                break;
            case "prompts/get":
                GetPrompt(session, rawId, parameters, dialect, reply);
                break;
            default:
                throw new UnreachableException($"{method} is no request both eras share");
        }
    }

    private void OnNotification(McpSession session, string method, JsonElement parameters)
    {
        // notifications/initialized and anything unknown need no answer (JSON-RPC: notifications are never answered).
        if (method == "notifications/cancelled"
            && parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty("requestId"u8, out var id)
            && id.ValueKind is JsonValueKind.String or JsonValueKind.Number
            && session.TryGetById(id.GetRawText(), out var request)
            && session.TryCancel(request))
        {
            _backend.Cancel(session, request);
        }
    }

    private void CallTool(McpSession session, string rawId, JsonElement parameters, McpDialect dialect, IMcpReply reply, ref ArgumentsLease lease, ActivityContext transportTrace)
    {
        if (!parameters.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: tools/call needs a string \"name\""));
            return;
        }

        var arguments = parameters.TryGetProperty("arguments"u8, out var a) && a.ValueKind != JsonValueKind.Null ? a : EmptyObject;
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: \"arguments\" must be an object"));
            return;
        }

        if (!TryGetProgressToken(parameters, out string? progressToken))
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: \"_meta\" must be an object, and its \"progressToken\" a string or a number"));
            return;
        }

        if (!session.TryBegin(rawId, progressToken, reply, dialect, out var request))
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidRequest, "Invalid Request: a request with this id is still in flight"));
            return;
        }

        request.TraceParent = TraceParentOf(parameters, transportTrace);
        if (PromptSize.Refusal(arguments, PromptSizeLimit) is { } tooBig)
        {
            session.Answer(request, tooBig); // answered here: no model request, nothing reaches the backend
            return;
        }

        // Registered first, then the check: an End() racing this either saw the request (and cancelled it) or ended
        // before it, which this sees (End sets the flag before its snapshot). Never a call left running in a dead session.
        if (session.HasEnded)
        {
            session.Answer(request, CallResult.Failed(ErrorCodes.Cancelled, "the session has ended"));
            return;
        }

        try
        {
            _backend.StartCall(session, request, name.GetString()!, arguments, ref lease);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The request is registered: it gets its one answer here, not a second one from Handle.
            LogFailure(session, ex);
            session.Reject(request, McpMessages.InternalError, "Internal error: see the daemon's log");
        }
    }

    private void ListResources(McpSession session, string rawId, JsonElement parameters, McpDialect dialect, IMcpReply reply)
    {
        ThreadCursor? after = null;
        if (parameters.TryGetProperty("cursor"u8, out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.String || !ThreadCursor.TryDecode(c.GetString()!, out var decoded))
            {
                reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: \"cursor\" is not a nextCursor this server gave; leave it out to list from the start"));
                return;
            }

            after = decoded;
        }

        _backend.ListResources(session, rawId, after, dialect, reply);
    }

    private void ReadResource(McpSession session, string rawId, JsonElement parameters, McpDialect dialect, IMcpReply reply)
    {
        if (!parameters.TryGetProperty("uri"u8, out var u) || u.ValueKind != JsonValueKind.String)
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: resources/read needs a string \"uri\""));
            return;
        }

        string uri = u.GetString()!;
        if (!ThreadResources.TryParse(uri, out var thread))
        {
            if (dialect.IsModern)
            {
                // 2026-07-28 (server/resources.mdx, Error Handling): a resource that is not there is -32602 with data.uri.
                reply.Respond(ThreadResources.NotFound(rawId, uri, dialect));
                return;
            }

            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams,
                $"Invalid params: {Truncate(uri)} is not a resource of this server; its resources are {ThreadResources.UriTemplate} (id: a continuation_id)"));
            return;
        }

        _backend.ReadResource(session, rawId, thread, uri, dialect, reply);
    }

    // The raw progress token, or null when the client asked for no progress (no _meta, no token, or either null); false
    // when either is of the wrong type: progress the client asked for cannot be sent under a token it cannot match.
    private static bool TryGetProgressToken(JsonElement parameters, out string? progressToken)
    {
        progressToken = null;
        if (!parameters.TryGetProperty("_meta"u8, out var meta) || meta.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (meta.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (!meta.TryGetProperty("progressToken"u8, out var token) || token.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        progressToken = token.ValueKind is JsonValueKind.String or JsonValueKind.Number ? token.GetRawText() : null;
        return progressToken is not null;
    }

    // The parent of the call's span: the request's own _meta.traceparent (MCP's per-request trace context, as the
    // OpenTelemetry MCP conventions carry it), else the transport's (an HTTP POST's traceparent header); default when
    // neither is there or nobody traces.
    private static ActivityContext TraceParentOf(JsonElement parameters, ActivityContext transportTrace)
    {
        if (!ExaiFastTracing.Source.HasListeners())
        {
            return default;
        }

        if (parameters.TryGetProperty("_meta"u8, out var meta) && meta.ValueKind == JsonValueKind.Object
            && meta.TryGetProperty("traceparent"u8, out var parent) && parent.ValueKind == JsonValueKind.String)
        {
            string? state = meta.TryGetProperty("tracestate"u8, out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var own = ExaiFastTracing.ParentFrom(parent.GetString(), state);
            if (own != default)
            {
                return own;
            }
        }

        return transportTrace;
    }

    // Whatever a message reached is a bug, logged with its stack trace; but a client can send the same message again and
    // again, so at most a few a minute reach the log.
    private void LogFailure(McpSession session, Exception exception)
    {
        if (_failures.TryEnter(out long suppressed))
        {
            Log.MessageFailed(_logger, session.SessionId, suppressed, exception);
        }
    }

    internal static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Error, "Handling an MCP message of session {SessionId} failed ({Suppressed} such failures not logged since the last)")]
        public static partial void MessageFailed(ILogger logger, string sessionId, long suppressed, Exception exception);
    }
}
