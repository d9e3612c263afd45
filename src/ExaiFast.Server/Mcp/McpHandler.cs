using System.Collections.Concurrent;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// The MCP front door over WebSocket (subprotocol <c>mcp</c>): JSON-RPC 2.0, one message per text frame —
/// <c>initialize</c>, <c>ping</c>, <c>tools/list</c>, <c>tools/call</c> (with <c>notifications/progress</c> when the
/// client gave a <c>progressToken</c>), <c>notifications/cancelled</c>.
/// </summary>
/// <remarks>
/// Runs on each connection's reader loop and never waits for the work queue, as the exai-ws front door: a
/// <c>tools/call</c> is submitted to the same <see cref="Dispatcher"/> (same lanes, limits, deadlines, single-flight)
/// and answered when its call ends. A connection is its own session; when it closes, its calls are cancelled (MCP has
/// no way to collect a result on another connection).
/// </remarks>
public sealed partial class McpHandler : IWebSocketHandler
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    private readonly Dispatcher _dispatcher;
    private readonly IToolCatalog _tools;
    private readonly bool _tokenRequired;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<McpConnection, byte> _open = new();

    /// <summary>Creates the front door.</summary>
    /// <param name="dispatcher">Where calls go.</param>
    /// <param name="tools">The tools.</param>
    /// <param name="tokenRequired">Whether the daemon has a token (<c>EXAI_WS_TOKEN</c>): MCP over WebSocket cannot carry
    /// one yet, so such a daemon refuses these connections rather than serve them unauthenticated.</param>
    /// <param name="logger">Log.</param>
    public McpHandler(Dispatcher dispatcher, IToolCatalog tools, bool tokenRequired, ILogger logger)
    {
        _dispatcher = dispatcher;
        _tools = tools;
        _tokenRequired = tokenRequired;
        _logger = logger;
    }

    /// <summary>Open MCP connections.</summary>
    public int Connections => _open.Count;

    /// <inheritdoc />
    public void OnOpened(IWebSocketSession session)
    {
        if (_tokenRequired)
        {
            session.Close(CloseCodes.Unauthorized, "this daemon requires a token, which MCP over WebSocket cannot carry yet; use exai-ws");
            return;
        }

        var connection = new McpConnection(session, "mcp-" + Guid.NewGuid().ToString("N"));
        session.HandlerState = connection;
        _open[connection] = 0;
    }

    /// <inheritdoc />
    public ValueTask OnMessageAsync(IWebSocketSession session, WebSocketMessage message, CancellationToken cancellationToken)
    {
        try
        {
            if (session.HandlerState is McpConnection connection)
            {
                Handle(connection, message.Payload.Memory);
            }
        }
        finally
        {
            message.Payload.Return();
        }

        return default;
    }

    /// <inheritdoc />
    public void OnClosed(IWebSocketSession session)
    {
        if (session.HandlerState is not McpConnection connection)
        {
            return;
        }

        _open.TryRemove(connection, out _);
        _dispatcher.Detach(connection, connection.SessionId);
        foreach (var request in connection.Pending)
        {
            request.Cancel();
            _dispatcher.Cancel(request.Key); // nobody can collect it: the work stops
            connection.End(request);
        }
    }

    private void Handle(McpConnection connection, ReadOnlyMemory<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            connection.Send(McpMessages.Error(null, McpMessages.ParseError, "Parse error: the message is not valid JSON"));
            return;
        }

        string? rawId = null;
        using (document)
        {
            try
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    connection.Send(McpMessages.Error(null, McpMessages.InvalidRequest,
                        root.ValueKind == JsonValueKind.Array ? "Invalid Request: batches are not supported (MCP 2025-06-18 removed them)" : "Invalid Request: not a JSON object"));
                    return;
                }

                bool hasId = root.TryGetProperty("id"u8, out var id);
                if (hasId && id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                {
                    rawId = id.GetRawText();
                }

                if (!root.TryGetProperty("jsonrpc"u8, out var version) || !version.ValueEquals("2.0"u8))
                {
                    connection.Send(McpMessages.Error(rawId, McpMessages.InvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\""));
                    return;
                }

                if (!root.TryGetProperty("method"u8, out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
                {
                    if (!root.TryGetProperty("result"u8, out _) && !root.TryGetProperty("error"u8, out _))
                    {
                        connection.Send(McpMessages.Error(rawId, McpMessages.InvalidRequest, "Invalid Request: no \"method\""));
                    }

                    return; // a response: this server sends no requests, so there is nothing to match it with
                }

                string method = methodElement.GetString()!;
                var parameters = root.TryGetProperty("params"u8, out var p) ? p : EmptyObject;
                if (!hasId)
                {
                    OnNotification(connection, method, parameters);
                    return;
                }

                if (rawId is null)
                {
                    connection.Send(McpMessages.Error(null, McpMessages.InvalidRequest, "Invalid Request: \"id\" must be a string or a number"));
                    return;
                }

                if (parameters.ValueKind != JsonValueKind.Object)
                {
                    connection.Send(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: \"params\" must be an object"));
                    return;
                }

                OnRequest(connection, rawId, method, parameters);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug in handling one message must not take the connection (and its other calls) down with it.
                Log.MessageFailed(_logger, connection.Socket.ConnectionId, ex);
                connection.Send(McpMessages.Error(rawId, McpMessages.InternalError, "Internal error: see the daemon's log"));
            }
        }
    }

    private void OnRequest(McpConnection connection, string rawId, string method, JsonElement parameters)
    {
        switch (method)
        {
            case "initialize":
                string? asked = parameters.TryGetProperty("protocolVersion"u8, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                connection.ProtocolVersion = asked is not null && McpMessages.ProtocolVersions.Contains(asked) ? asked : McpMessages.LatestProtocolVersion;
                connection.Send(McpMessages.Initialized(rawId, connection.ProtocolVersion, ServerInfo.Version));
                break;
            case "ping":
                connection.Send(McpMessages.EmptyResult(rawId));
                break;
            case "tools/list":
                connection.Send(McpMessages.ToolsList(rawId, _tools));
                break;
            case "tools/call":
                CallTool(connection, rawId, parameters);
                break;
            default:
                connection.Send(McpMessages.Error(rawId, McpMessages.MethodNotFound, $"Method not found: {Truncate(method)}"));
                break;
        }
    }

    private void OnNotification(McpConnection connection, string method, JsonElement parameters)
    {
        // notifications/initialized and anything unknown need no answer (JSON-RPC: notifications are never answered).
        if (method == "notifications/cancelled"
            && parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty("requestId"u8, out var id)
            && id.ValueKind is JsonValueKind.String or JsonValueKind.Number
            && connection.TryGetById(id.GetRawText(), out var request))
        {
            request.Cancel();
            _dispatcher.Cancel(request.Key);
        }
    }

    private void CallTool(McpConnection connection, string rawId, JsonElement parameters)
    {
        if (!parameters.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
        {
            connection.Send(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: tools/call needs a string \"name\""));
            return;
        }

        if (!_tools.TryGet(name.GetString()!, out var tool))
        {
            connection.Send(McpMessages.Error(rawId, McpMessages.InvalidParams, $"Unknown tool: {Truncate(name.GetString()!)}"));
            return;
        }

        var arguments = parameters.TryGetProperty("arguments"u8, out var a) && a.ValueKind != JsonValueKind.Null ? a : EmptyObject;
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            connection.Send(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: \"arguments\" must be an object"));
            return;
        }

        string? progressToken = parameters.TryGetProperty("_meta"u8, out var meta) && meta.ValueKind == JsonValueKind.Object
            && meta.TryGetProperty("progressToken"u8, out var token) && token.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? token.GetRawText()
            : null;

        // MCP 2025-11-25: input validation errors are tool execution errors, so that the model can correct itself.
        var validation = tool.Validate(arguments);
        if (validation.Error is { } invalid)
        {
            connection.Send(McpMessages.ToolResult(rawId, CallResult.Failed(ErrorCodes.InvalidArguments, invalid)));
            return;
        }

        if (!connection.TryBegin(rawId, progressToken, out var request))
        {
            connection.Send(McpMessages.Error(rawId, McpMessages.InvalidRequest, "Invalid Request: a request with this id is still in flight"));
            return;
        }

        SubmitResult submitted;
        try
        {
            // No arguments lease: the dispatcher clones what it keeps, and this document is disposed on return.
            // MCP clients fan out and never retry a tool error: beyond the session's limit, calls wait their turn.
            submitted = _dispatcher.Submit(new CallRequest(request.Key, tool, arguments, validation.Lane!, Stream: false, WaitForSession: true), connection);
        }
        catch
        {
            connection.End(request);
            throw;
        }

        if (submitted.Status is SubmitStatus.Refused or SubmitStatus.Replayed)
        {
            connection.End(request);
            connection.Send(McpMessages.ToolResult(rawId, submitted.Result!));
        }

        // Accepted, attached or coalesced: the call's end answers (McpConnection.OnCompleted).
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Error, "Handling an MCP message on connection {ConnectionId} failed")]
        public static partial void MessageFailed(ILogger logger, long connectionId, Exception exception);
    }
}
