namespace ExaiFast.Wire;

/// <summary>A parsed WebSocket frame header (RFC 6455 §5.2).</summary>
/// <remarks>
/// <see cref="MaskKey"/> holds the four masking bytes in memory order (read little-endian from the wire),
/// which is the form <see cref="Masking.Apply"/> expects.
/// </remarks>
public readonly record struct FrameHeader(
    bool Fin,
    WebSocketOpcode Opcode,
    bool Masked,
    long PayloadLength,
    int MaskKey,
    int HeaderLength,
    FrameError Error = FrameError.None)
{
    /// <summary>Close, Ping or Pong.</summary>
    public bool IsControl => ((byte)Opcode & 0x8) != 0;
}
