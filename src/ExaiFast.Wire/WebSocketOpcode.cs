namespace ExaiFast.Wire;

/// <summary>RFC 6455 §5.2 opcodes. Values 0x3–0x7 and 0xB–0xF are reserved and rejected by the parser.</summary>
public enum WebSocketOpcode : byte
{
    /// <summary>Continues a fragmented data message.</summary>
    Continuation = 0x0,
    /// <summary>A UTF-8 text message (or its first fragment).</summary>
    Text = 0x1,
    /// <summary>A binary message (or its first fragment).</summary>
    Binary = 0x2,
    /// <summary>Close control frame.</summary>
    Close = 0x8,
    /// <summary>Ping control frame.</summary>
    Ping = 0x9,
    /// <summary>Pong control frame.</summary>
    Pong = 0xA,
}
