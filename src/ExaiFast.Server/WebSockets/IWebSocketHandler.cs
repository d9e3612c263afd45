namespace ExaiFast.Server.WebSockets;

/// <summary>
/// A front door of WebSocket connections (exai-ws, MCP, echo): makes each connection's <see cref="IWebSocketDoor"/>
/// once, when the connection is upgraded and admitted. Shared by all connections.
/// </summary>
/// <remarks>
/// Routing happens here, once per connection (by path and subprotocol); a message then goes straight to its door,
/// with no per-message lookup or cast.
/// </remarks>
internal interface IWebSocketHandler
{
    /// <summary>The connection was upgraded and admitted: returns the object that gets its messages and its end.</summary>
    IWebSocketDoor Open(IWebSocketSession session);
}
