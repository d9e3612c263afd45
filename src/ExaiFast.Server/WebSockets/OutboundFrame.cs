using ExaiFast.Wire;

namespace ExaiFast.Server.WebSockets;

/// <summary>One whole frame queued for the writer loop, which returns <see cref="Payload"/> to the pool after writing.</summary>
/// <param name="Opcode">The frame's opcode.</param>
/// <param name="Payload">The message.</param>
/// <param name="More">The sender queues another frame right after this one: the writer may hold its flush for it.</param>
internal readonly record struct OutboundFrame(WebSocketOpcode Opcode, PooledBuffer Payload, bool More = false);
