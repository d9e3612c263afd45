using System.Text;
using ExaiFast.Core.Tracing;
using ExaiFast.Server.Http;
using ExaiFast.Server.Options;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// MCP Streamable HTTP (revisions 2025-03-26 to 2026-07-28) at <c>/mcp</c>: <c>POST</c> carries one JSON-RPC message
/// and gets a JSON response, or an SSE stream (progress notifications, then the response) when the answer is not ready
/// at once and the client accepts <c>text/event-stream</c>; <c>DELETE</c> ends a legacy session; <c>GET</c> is 405 (no
/// server-initiated stream: this server never sends requests or unsolicited notifications).
/// </summary>
/// <remarks>
/// <para>Legacy: a session (<c>Mcp-Session-Id</c>) is issued at <c>initialize</c>; requests without one are served
/// statelessly, each in a session of its own. A client that drops its POST has the call cancelled; a
/// <c>notifications/cancelled</c> posted separately finds its call through the session.</para>
/// <para>Modern (<c>MCP-Protocol-Version: 2026-07-28</c>, spec <c>basic/transports/streamable-http.mdx</c>): no sessions
/// (<c>Mcp-Session-Id</c> is ignored, never issued), every POST its own; the protocol checks the headers against the
/// body once it has parsed it, so that a refusal echoes the id, and says the status (400, 404) a refusal gets.</para>
/// </remarks>
internal sealed class McpHttpEndpoint : IHttpEndpoint
{
    private const string SessionHeader = "Mcp-Session-Id";
    private const string VersionHeader = McpHttpEnvelope.VersionHeader;
    private const string Json = "application/json";

    // A call answered within this long gets a plain JSON response (one write); a slower one, or one that reports
    // progress first, gets an SSE stream, so that its progress flows and keep-alive comments hold the connection open.
    private static readonly TimeSpan FirstAnswerWindow = TimeSpan.FromMilliseconds(50);

    private static readonly KeyValuePair<string, string>[] AllowHeaders = [new("Allow", "POST, DELETE")];
    private static readonly KeyValuePair<string, string>[] ModernAllowHeaders = [new("Allow", "POST")];

    // A proxy such as nginx buffers a response until it ends unless told not to (spec: SSE responses SHOULD say so).
    private static readonly KeyValuePair<string, string> NoProxyBuffering = new("X-Accel-Buffering", "no");
    private static readonly KeyValuePair<string, string>[] StreamHeaders = [NoProxyBuffering];

    private readonly McpProtocol _protocol;
    private readonly McpHttpSessions _sessions;
    private readonly AccessGuard _access;
    private readonly ServerOptions _options;

    public McpHttpEndpoint(McpProtocol protocol, McpHttpSessions sessions, AccessGuard access, ServerOptions options)
    {
        _protocol = protocol;
        _sessions = sessions;
        _access = access;
        _options = options;
    }

    /// <summary>Origin and credentials, checked on the head: a refused client never gets its body read. The protocol
    /// version is checked once the body is parsed (a modern refusal echoes the request's id).</summary>
    public ValueTask<HttpRefusal?> ScreenAsync(HttpRequestHead head)
    {
        // DNS rebinding (spec: servers MUST validate Origin): a browser page of another origin gets nothing.
        if (head["Origin"] is { } origin && !_options.IsOriginAllowed(origin))
        {
            return ValueTask.FromResult<HttpRefusal?>(Refusal(403, McpMessages.InvalidRequest, "Forbidden: origin not allowed"));
        }

        var access = _access.CheckAsync(head, allowQuery: false);
        return access.IsCompletedSuccessfully ? ValueTask.FromResult(Screened(access.Result)) : ScreenSlowAsync(access);
    }

    private static async ValueTask<HttpRefusal?> ScreenSlowAsync(ValueTask<OAuth.AccessRefusal?> access) =>
        Screened(await access.ConfigureAwait(false));

    private static HttpRefusal? Screened(OAuth.AccessRefusal? denied)
    {
        if (denied is not null)
        {
            return Refusal(denied.Status, McpMessages.InvalidRequest, denied.Message, denied.ExtraHeaders);
        }

        return null;
    }

    public ValueTask HandleAsync(HttpExchange exchange)
    {
        var head = exchange.Request; // screened: origin and token are good
        if (head.Method != "POST" && !IsLegacy(head))
        {
            // 2026-07-28 has neither sessions to DELETE nor a GET stream.
            return ErrorAsync(exchange, 405, ModernAllowHeaders, McpMessages.InvalidRequest,
                $"Method Not Allowed: MCP-Protocol-Version {McpProtocol.Truncate(head[VersionHeader]!)} has no sessions and no GET stream; POST each JSON-RPC message");
        }

        return head.Method switch
        {
            "POST" => PostAsync(exchange),
            "DELETE" => DeleteAsync(exchange),
            _ => ErrorAsync(exchange, 405, AllowHeaders, McpMessages.InvalidRequest,
                "Method Not Allowed: POST a JSON-RPC message, or DELETE a session (this server offers no GET stream)"),
        };
    }

    private async ValueTask PostAsync(HttpExchange exchange)
    {
        var head = exchange.Request;
        if (head["Content-Type"] is not { } type || !type.StartsWith(Json, StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(exchange, 415, null, McpMessages.InvalidRequest, "Unsupported Media Type: send application/json").ConfigureAwait(false);
            return;
        }

        bool sse = Accepts(head, "text/event-stream");
        bool json = Accepts(head, Json);
        if (!sse && !json)
        {
            await ErrorAsync(exchange, 406, null, McpMessages.InvalidRequest, "Not Acceptable: accept application/json and text/event-stream").ConfigureAwait(false);
            return;
        }

        // A modern POST (or one naming a revision nobody serves, which the protocol refuses) has no session to look up.
        bool legacy = IsLegacy(head);
        McpSession session;
        bool stateless = false;
        if (legacy && head[SessionHeader] is { } id)
        {
            if (!_sessions.TryGet(id, out session))
            {
                await ErrorAsync(exchange, 404, null, McpMessages.SessionNotFound, "Session not found: it ended or expired; initialize again").ConfigureAwait(false);
                return;
            }
        }
        else
        {
            session = new McpSession(McpHttpSessions.SessionPrefix + Guid.NewGuid().ToString("N"), "http")
            {
                ProtocolVersion = head[VersionHeader], // a stateless request says its revision here, or is 2025-03-26 (ToolShapes)
                IsStateless = true,
                Principal = _access.PrincipalOf(head), // checked by ScreenAsync; a modern request is always stateless
            };
            stateless = true;
        }

        var reply = new HttpMcpReply(exchange.RemoteAddress);
        try
        {
            // The protocol takes the body: a tools/call hands it to its call, which keeps it (and a big one's inbound
            // budget) until it ends; a big one is parsed off the shared pool.
            var trace = ExaiFastTracing.Source.HasListeners() ? ExaiFastTracing.ParentFrom(head["traceparent"], head["tracestate"]) : default;
            var envelope = new McpHttpEnvelope(head[VersionHeader], head[McpHttpEnvelope.MethodHeader], head[McpHttpEnvelope.NameHeader]);
            var handled = _protocol.HandleAsync(session, exchange.TakeBody(), reply, trace, envelope);
            var (kind, method) = handled.IsCompletedSuccessfully ? handled.Result : await handled.ConfigureAwait(false);
            if (reply.Status != 0 && reply.TryTakeResponse(out var refused))
            {
                // A modern refusal, made before any work: its own status, as plain JSON whatever the client accepts.
                await RespondJsonAsync(exchange, reply.Status, refused, null).ConfigureAwait(false);
                return;
            }

            KeyValuePair<string, string>[]? headers = null;
            if (legacy && stateless && method == "initialize" && reply.HasResponded)
            {
                // A session for the client to name from now on; when the table is full of busy sessions, it goes on statelessly.
                if (_sessions.TryCreate() is { } created)
                {
                    created.ProtocolVersion = session.ProtocolVersion;
                    headers = [new(SessionHeader, McpHttpSessions.IdOf(created))];
                }
            }
            else if (!stateless)
            {
                headers = [new(SessionHeader, head[SessionHeader]!)];
            }

            switch (kind)
            {
                case McpMessageKind.Notification or McpMessageKind.Response:
                    await exchange.RespondAsync(202, null, default, headers).ConfigureAwait(false);
                    return;
                case McpMessageKind.Invalid:
                    await RespondWithAsync(exchange, 400, reply, headers).ConfigureAwait(false);
                    return;
            }

            if (json && sse)
            {
                // Returns at once, allocating nothing, when the call has answered already (a 0 ms call ran inline).
                await reply.WaitAsync(FirstAnswerWindow, exchange.RequestAborted).ConfigureAwait(false);
            }

            if (json && reply.TryTakeResponse(out var immediate))
            {
                await RespondJsonAsync(exchange, 200, immediate, headers).ConfigureAwait(false);
                return;
            }

            if (sse)
            {
                await StreamAsync(exchange, reply, headers).ConfigureAwait(false);
            }
            else
            {
                await RespondWithAsync(exchange, 200, reply, headers).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (exchange.RequestAborted.IsCancellationRequested)
        {
            // The client dropped its POST: nobody can receive the answer, so the work stops.
            _protocol.Abandon(session, reply);
        }
        finally
        {
            reply.Discard();
            if (stateless)
            {
                _protocol.EndSession(session);
            }
        }
    }

    private static async ValueTask StreamAsync(HttpExchange exchange, HttpMcpReply reply, KeyValuePair<string, string>[]? headers)
    {
        var stream = await exchange.StartEventStreamAsync(headers is null ? StreamHeaders : [.. headers, NoProxyBuffering]).ConfigureAwait(false);
        while (true)
        {
            var (ok, message, isResponse) = await reply.ReadAsync(exchange.RequestAborted).ConfigureAwait(false);
            if (!ok)
            {
                break;
            }

            try
            {
                await stream.WriteEventAsync(message.Memory).ConfigureAwait(false);
            }
            finally
            {
                message.Return();
            }

            if (isResponse)
            {
                break;
            }
        }

        await stream.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for the response (dropping progress: a JSON-only client cannot receive it) and sends it as JSON.</summary>
    private static async ValueTask RespondWithAsync(HttpExchange exchange, int status, HttpMcpReply reply, KeyValuePair<string, string>[]? headers)
    {
        while (true)
        {
            var (ok, message, isResponse) = await reply.ReadAsync(exchange.RequestAborted).ConfigureAwait(false);
            if (!ok)
            {
                // Cancelled (a notifications/cancelled posted on its own): MCP says no response follows, and HTTP needs one.
                await exchange.RespondAsync(204, null, default, headers).ConfigureAwait(false);
                return;
            }

            if (isResponse)
            {
                await RespondJsonAsync(exchange, status, message, headers).ConfigureAwait(false);
                return;
            }

            message.Return();
        }
    }

    private static async ValueTask RespondJsonAsync(HttpExchange exchange, int status, PooledBuffer message, KeyValuePair<string, string>[]? headers)
    {
        try
        {
            await exchange.RespondAsync(status, Json, message.Memory, headers).ConfigureAwait(false);
        }
        finally
        {
            message.Return();
        }
    }

    private ValueTask DeleteAsync(HttpExchange exchange)
    {
        if (exchange.Request[SessionHeader] is not { } id)
        {
            return ErrorAsync(exchange, 400, null, McpMessages.InvalidRequest, "Bad Request: DELETE needs the Mcp-Session-Id of the session to end");
        }

        return _sessions.TryEnd(id)
            ? exchange.RespondAsync(204, null, default)
            : ErrorAsync(exchange, 404, null, McpMessages.SessionNotFound, "Session not found: it ended or expired");
    }

    private static HttpRefusal Refusal(int status, int code, string message, string? extraHeaders = null)
    {
        var body = McpMessages.Error(null, code, message);
        try
        {
            return new HttpRefusal(status, Json, body.Span.ToArray(), extraHeaders);
        }
        finally
        {
            body.Return();
        }
    }

    /// <summary>An HTTP error whose body is a JSON-RPC error without an id, as the transport spec shows.</summary>
    private static async ValueTask ErrorAsync(HttpExchange exchange, int status, KeyValuePair<string, string>[]? headers, int code, string message)
    {
        var body = McpMessages.Error(null, code, message);
        await RespondJsonAsync(exchange, status, body, headers).ConfigureAwait(false);
    }

    /// <summary>Whether a request is of the legacy era by its head: no <c>MCP-Protocol-Version</c>, or a legacy one.</summary>
    private static bool IsLegacy(HttpRequestHead head) => head[VersionHeader] is not { } version || McpRevisions.IsLegacy(version);

    /// <summary>Whether <c>Accept</c> admits <paramref name="type"/>; no <c>Accept</c>, or a wildcard, admits anything.</summary>
    private static bool Accepts(HttpRequestHead head, string type)
    {
        if (head["Accept"] is not { } accept)
        {
            return true;
        }

        foreach (var range in accept.Split(','))
        {
            var media = range.AsSpan();
            int semicolon = media.IndexOf(';');
            media = (semicolon < 0 ? media : media[..semicolon]).Trim();
            if (media.Equals(type, StringComparison.OrdinalIgnoreCase) || media is "*/*"
                || (media.EndsWith("/*") && type.AsSpan().StartsWith(media[..^1], StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
