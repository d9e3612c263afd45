namespace ExaiFast.Server.WebSockets;

/// <summary>Sends every message back unchanged, with its opcode. The transport's perf baseline.</summary>
internal sealed class EchoHandler : IWebSocketHandler
{
    /// <summary>The shared instance.</summary>
    public static EchoHandler Instance { get; } = new();

    /// <inheritdoc />
    public IWebSocketDoor Open(IWebSocketSession session) => new Door(session);

    private sealed class Door(IWebSocketSession session) : IWebSocketDoor
    {
        public ValueTask OnMessageAsync(WebSocketMessage message, CancellationToken cancellationToken) =>
            session.SendAsync(message.Opcode, message.Payload, cancellationToken);

        public void OnClosed()
        {
        }
    }
}
