using ExaiFast.Server.ExaiWs;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Hosting;

/// <summary>
/// Sends each WebSocket connection to its front door by the subprotocol it negotiated — <c>mcp</c> to MCP, none to
/// exai-ws (PROTOCOL.md's table) — once, at the upgrade. Counts the clients of every door for the daemon's status.
/// </summary>
/// <param name="exaiWs">The exai-ws door.</param>
/// <param name="mcp">The MCP-over-WebSocket door.</param>
/// <param name="httpSessions">MCP Streamable HTTP's sessions, counted with the others; none if null.</param>
internal sealed class SubprotocolRouter(ExaiWsHandler exaiWs, McpHandler mcp, McpHttpSessions? httpSessions = null) : IWebSocketHandler, IClientCounts
{
    /// <inheritdoc />
    public int Connections => exaiWs.Connections + mcp.Connections;

    /// <inheritdoc />
    public int Sessions => exaiWs.Sessions + mcp.Connections + (httpSessions?.Count ?? 0); // an MCP connection is its own session

    /// <inheritdoc />
    public IWebSocketDoor Open(IWebSocketSession session) =>
        session.Subprotocol == Subprotocols.Mcp ? mcp.Open(session) : exaiWs.Open(session);
}
