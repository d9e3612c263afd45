using System.Net;
using ExaiFast.Wire;

namespace ExaiFast.Server.WebSockets;

/// <summary>What a message handler may do with its connection.</summary>
/// <remarks>All members are thread-safe: workers may send while the reader loop runs.</remarks>
internal interface IWebSocketSession
{
    /// <summary>A process-unique connection number.</summary>
    long ConnectionId { get; }

    /// <summary>The negotiated subprotocol (<c>mcp</c>) or null for exai-ws.</summary>
    string? Subprotocol { get; }

    /// <summary>Who the upgrade's credentials name, in OAuth mode (<see cref="AccessGuard.PrincipalOf"/>); null otherwise.</summary>
    string? Principal => null;

    /// <summary>The peer's address.</summary>
    IPAddress RemoteAddress { get; }

    /// <summary>Cancelled when the connection ends.</summary>
    CancellationToken ConnectionClosed { get; }

    /// <summary>
    /// Queues a whole message for the connection's single writer; waits only while the outbound queue is full.
    /// Takes ownership of <paramref name="payload"/> (returned to the pool once written, or if the connection is gone).
    /// </summary>
    ValueTask SendAsync(WebSocketOpcode opcode, PooledBuffer payload, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="SendAsync"/>, for a message the caller follows at once with another <see cref="SendAsync"/> (on
    /// this thread, before anything that waits): the writer may hold its flush for that one, so that both leave in one
    /// write — an exai-ws <c>call_tool_ack</c> and a result that was ready with it.
    /// </summary>
    ValueTask SendFollowedAsync(WebSocketOpcode opcode, PooledBuffer payload);

    /// <summary>
    /// Queues a message only if the outbound queue has room now; false (payload returned to the pool) otherwise.
    /// For frames that may be dropped under backpressure, such as progress heartbeats.
    /// </summary>
    bool TrySend(WebSocketOpcode opcode, PooledBuffer payload);

    /// <summary>Starts the closing handshake with <paramref name="code"/>; later messages are not delivered.</summary>
    void Close(ushort code, string reason);
}
