using ExaiFast.Wire;

namespace ExaiFast.Server.WebSockets;

/// <summary>One whole frame queued for the writer loop, which returns <see cref="Payload"/> to the pool after writing.</summary>
internal readonly record struct OutboundFrame(WebSocketOpcode Opcode, PooledBuffer Payload);
