namespace ExaiFast.Server.WebSockets;

/// <summary>Sends every message back unchanged, with its opcode. The transport's perf baseline.</summary>
public sealed class EchoHandler : IWebSocketHandler
{
    /// <summary>The shared instance.</summary>
    public static EchoHandler Instance { get; } = new();

    /// <inheritdoc />
    public void OnOpened(IWebSocketSession session)
    {
    }

    /// <inheritdoc />
    public ValueTask OnMessageAsync(IWebSocketSession session, WebSocketMessage message, CancellationToken cancellationToken) =>
        session.SendAsync(message.Opcode, message.Payload, cancellationToken);

    /// <inheritdoc />
    public void OnClosed(IWebSocketSession session)
    {
    }
}
