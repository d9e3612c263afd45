using ExaiFast.Wire.Http;

namespace ExaiFast.Server.WebSockets;

/// <summary>The WebSocket subprotocols the server speaks: <c>mcp</c> selects MCP; none selects exai-ws.</summary>
/// <remarks>Here rather than in Wire, which frames WebSockets and knows no application protocol.</remarks>
internal static class Subprotocols
{
    /// <summary>The subprotocol that selects MCP over WebSocket.</summary>
    public const string Mcp = "mcp";

    /// <summary>The subprotocol to answer with: <see cref="Mcp"/> when offered, else null (exai-ws).</summary>
    public static string? Select(HttpRequestHead head) =>
        head.HeaderContainsToken("Sec-WebSocket-Protocol", Mcp) ? Mcp : null;
}
