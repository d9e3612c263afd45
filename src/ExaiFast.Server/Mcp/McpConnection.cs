using System.Collections.Concurrent;
using ExaiFast.Core.Calls;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// One MCP-over-WebSocket connection: its session, its requests in flight, and the listener of their calls, which
/// turns call events into JSON-RPC responses and progress notifications.
/// </summary>
/// <remarks>
/// Each <c>tools/call</c> gets a call key of its own (a per-connection sequence number plus the JSON-RPC id): MCP
/// clients reuse ids, and a reused id must run again, not replay an earlier result as exai-ws's request ids do.
/// </remarks>
internal sealed class McpConnection(IWebSocketSession socket, string sessionId) : ICallListener
{
    private readonly ConcurrentDictionary<string, McpRequest> _byKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, McpRequest> _byId = new(StringComparer.Ordinal);
    private long _sequence;

    public IWebSocketSession Socket { get; } = socket;

    public string SessionId { get; } = sessionId;

    /// <summary>The protocol version agreed in <c>initialize</c> (null before it).</summary>
    public string? ProtocolVersion { get; set; }

    /// <summary>Requests whose call has not answered yet, newest first.</summary>
    /// <remarks>
    /// Newest first, so that a closing connection cancels the calls still waiting for a session slot before the
    /// running ones: a running call's end would otherwise hand its slot to a waiter that starts only to be cancelled.
    /// </remarks>
    public IEnumerable<McpRequest> Pending => _byKey.Values.OrderByDescending(r => r.Sequence);

    /// <summary>Registers a <c>tools/call</c>; false if a request with this id is still in flight.</summary>
    public bool TryBegin(string rawId, string? rawProgressToken, out McpRequest request)
    {
        long n = Interlocked.Increment(ref _sequence);
        request = new McpRequest(rawId, rawProgressToken, new CallKey(SessionId, string.Concat(n.ToString(System.Globalization.CultureInfo.InvariantCulture), ":", rawId)), n);
        if (!_byId.TryAdd(rawId, request))
        {
            return false;
        }

        _byKey[request.Key.RequestId] = request;
        return true;
    }

    /// <summary>Forgets a request that will get no completion (refused or answered at once).</summary>
    public void End(McpRequest request)
    {
        _byKey.TryRemove(request.Key.RequestId, out _);
        _byId.TryRemove(new KeyValuePair<string, McpRequest>(request.RawId, request));
    }

    /// <summary>The in-flight request with this JSON-RPC id (as raw JSON).</summary>
    public bool TryGetById(string rawId, out McpRequest request) => _byId.TryGetValue(rawId, out request!);

    public void OnProgress(CallKey key, ToolCall call, string? message)
    {
        if (_byKey.TryGetValue(key.RequestId, out var request) && request.ProgressToken is { } token && !request.Cancelled)
        {
            Socket.TrySend(WebSocketOpcode.Text, McpMessages.Progress(token, request.NextProgress(), message)); // droppable, as exai-ws heartbeats
        }
    }

    public void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk)
    {
        // MCP has no streamed tool output; the result carries the whole text.
    }

    public void OnCompleted(CallKey key, ToolCall call, CallResult result)
    {
        if (!_byKey.TryGetValue(key.RequestId, out var request))
        {
            return;
        }

        End(request);
        if (!request.Cancelled) // the client cancelled: MCP says no response follows
        {
            Send(McpMessages.ToolResult(request.RawId, result));
        }
    }

    public void Send(PooledBuffer message)
    {
        var pending = Socket.SendAsync(WebSocketOpcode.Text, message);
        if (!pending.IsCompletedSuccessfully)
        {
            _ = pending.AsTask(); // completes when queued or when the connection is gone; SendAsync observes its own errors
        }
    }
}
