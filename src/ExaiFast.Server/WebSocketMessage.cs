using ExaiFast.Wire;

namespace ExaiFast.Server;

/// <summary>A complete, unmasked (and for text, UTF-8-validated) WebSocket message.</summary>
/// <param name="Opcode"><see cref="WebSocketOpcode.Text"/> or <see cref="WebSocketOpcode.Binary"/>.</param>
/// <param name="Payload">The message bytes; the handler owns them.</param>
internal readonly record struct WebSocketMessage(WebSocketOpcode Opcode, PooledBuffer Payload);
