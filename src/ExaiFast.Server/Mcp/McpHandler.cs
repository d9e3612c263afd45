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
internal sealed class McpHandler : IWebSocketHandler
{
    private readonly McpProtocol _protocol;
    private readonly ConcurrentDictionary<McpSession, byte> _open = new();

    /// <summary>Creates the front door.</summary>
    public McpHandler(McpProtocol protocol) => _protocol = protocol;

    /// <summary>Open MCP-over-WebSocket connections.</summary>
    public int Connections => _open.Count;

    /// <inheritdoc />
    public IWebSocketDoor Open(IWebSocketSession session)
    {
        var door = new Door(this, new McpSession("mcp:" + Guid.NewGuid().ToString("N"), "websocket") { Principal = session.Principal }, new WebSocketReply(session));
        _open[door.Session] = 0;
        return door;
    }

    /// <summary>One MCP-over-WebSocket connection: its session and where its answers go.</summary>
    private sealed class Door(McpHandler handler, McpSession session, WebSocketReply reply) : IWebSocketDoor
    {
        public McpSession Session => session;

        public ValueTask OnMessageAsync(WebSocketMessage message, CancellationToken cancellationToken)
        {
            // A small message is handled before this returns; only a big one (parsed on a thread of its own) is awaited.
            var handled = handler._protocol.HandleAsync(session, message.Payload, reply);
            return handled.IsCompletedSuccessfully ? default : new ValueTask(handled.AsTask());
        }

        public void OnClosed()
        {
            handler._open.TryRemove(session, out _);
            handler._protocol.EndSession(session);
        }
    }
}
