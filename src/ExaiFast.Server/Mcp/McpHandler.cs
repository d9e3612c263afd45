using System.Collections.Concurrent;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// The MCP front door over WebSocket (subprotocol <c>mcp</c>): one JSON-RPC message per text frame, one session per
/// connection, handled by the shared <see cref="McpProtocol"/>.
/// </summary>
/// <remarks>
/// Runs on each connection's reader loop and never waits for the work queue. When the connection closes its calls are
/// cancelled: MCP has no way to collect a result on another connection.
/// </remarks>
public sealed class McpHandler : IWebSocketHandler
{
    private readonly McpProtocol _protocol;
    private readonly ConcurrentDictionary<McpSession, byte> _open = new();

    /// <summary>Creates the front door.</summary>
    public McpHandler(McpProtocol protocol) => _protocol = protocol;

    /// <summary>Open MCP-over-WebSocket connections.</summary>
    public int Connections => _open.Count;

    /// <inheritdoc />
    public void OnOpened(IWebSocketSession session)
    {
        var mcp = new McpSession("mcp-" + Guid.NewGuid().ToString("N"), "websocket");
        session.HandlerState = new State(mcp, new WebSocketReply(session));
        _open[mcp] = 0;
    }

    /// <inheritdoc />
    public ValueTask OnMessageAsync(IWebSocketSession session, WebSocketMessage message, CancellationToken cancellationToken)
    {
        try
        {
            if (session.HandlerState is State state)
            {
                _protocol.Handle(state.Session, message.Payload.Memory, state.Reply);
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
        if (session.HandlerState is State state)
        {
            _open.TryRemove(state.Session, out _);
            _protocol.EndSession(state.Session);
        }
    }

    private sealed record State(McpSession Session, WebSocketReply Reply);
}
