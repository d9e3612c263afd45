namespace ExaiFast.Server.WebSockets;

/// <summary>The front door a WebSocket connection's messages go to (echo now; exai-ws and MCP later).</summary>
/// <remarks>
/// Called on the connection's reader loop, one message at a time: implementations answer control work inline and
/// hand long work elsewhere, so that the reader never waits on it. Implementations are shared by all connections.
/// </remarks>
public interface IWebSocketHandler
{
    /// <summary>The connection was upgraded and admitted; called before its first message.</summary>
    void OnOpened(IWebSocketSession session);

    /// <summary>A message arrived. The handler owns <see cref="WebSocketMessage.Payload"/>.</summary>
    ValueTask OnMessageAsync(IWebSocketSession session, WebSocketMessage message, CancellationToken cancellationToken);

    /// <summary>The connection ended (any reason). Called once, after the last <see cref="OnMessageAsync"/>.</summary>
    void OnClosed(IWebSocketSession session);
}
