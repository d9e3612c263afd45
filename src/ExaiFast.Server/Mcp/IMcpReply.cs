using System.Net;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// Where the answer to one MCP message goes: the connection itself for WebSocket and stdio, the POST that carried the
/// request for Streamable HTTP.
/// </summary>
/// <remarks>
/// Every request gets exactly one <see cref="Respond(PooledBuffer)"/>; notifications about it (<see cref="TryNotify"/>) come before
/// that and never after. Both may be called from any thread; implementations only enqueue and never block.
/// Both take ownership of the buffer.
/// </remarks>
internal interface IMcpReply
{
    /// <summary>Sends the response (a result or a JSON-RPC error). Must arrive: waits for room, never drops.</summary>
    void Respond(PooledBuffer response);

    /// <summary>Sends a modern request's refusal, which Streamable HTTP answers with <paramref name="httpStatus"/>
    /// (2026-07-28 <c>streamable-http.mdx</c>: 400 for a bad envelope or version, 404 for an unknown method); other
    /// transports send it as any response.</summary>
    void Respond(PooledBuffer response, int httpStatus) => Respond(response);

    /// <summary>Sends a notification that may be dropped under back-pressure (progress); false when dropped.</summary>
    bool TryNotify(PooledBuffer notification);

    /// <summary>The client's address, for the per-address call limit: the WebSocket's peer, the POST's connection's
    /// peer; null for stdio, which has none.</summary>
    IPAddress? ClientAddress => null;

    /// <summary>A request answering here was cancelled: no response will come for it. A reply that exists for that one
    /// request (an HTTP POST) ends without one; a connection-wide reply has nothing to do.</summary>
    void Cancelled()
    {
    }
}
