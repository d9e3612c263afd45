using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.Mcp;

/// <summary>Answers of an MCP-over-WebSocket session: text frames on its connection, in order.</summary>
internal sealed class WebSocketReply(IWebSocketSession socket) : IMcpReply
{
    public void Respond(PooledBuffer response)
    {
        var pending = socket.SendAsync(WebSocketOpcode.Text, response);
        if (!pending.IsCompletedSuccessfully)
        {
            _ = pending.AsTask(); // completes when queued or when the connection is gone; SendAsync observes its own errors
        }
    }

    public bool TryNotify(PooledBuffer notification) => socket.TrySend(WebSocketOpcode.Text, notification);

    public System.Net.IPAddress? ClientAddress => socket.RemoteAddress;
}
