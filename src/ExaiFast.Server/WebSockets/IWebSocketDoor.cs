namespace ExaiFast.Server.WebSockets;

/// <summary>One connection's front door: its messages, then its end.</summary>
/// <remarks>
/// Called on the connection's reader loop, one message at a time: implementations answer control work inline and hand
/// long work elsewhere, so that the reader never waits on it.
/// </remarks>
internal interface IWebSocketDoor
{
    /// <summary>A message arrived. The door owns <see cref="WebSocketMessage.Payload"/>.</summary>
    ValueTask OnMessageAsync(WebSocketMessage message, CancellationToken cancellationToken);

    /// <summary>The connection ended (any reason). Called once, after the last <see cref="OnMessageAsync"/>.</summary>
    void OnClosed();
}
