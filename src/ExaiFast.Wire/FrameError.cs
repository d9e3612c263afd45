namespace ExaiFast.Wire;

/// <summary>Why a frame header was rejected; every value maps to close code 1002 (protocol error).</summary>
public enum FrameError : byte
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>RSV1–3 set although no extension was negotiated.</summary>
    ReservedBitsSet,
    /// <summary>Opcode 0x3–0x7 or 0xB–0xF.</summary>
    UnknownOpcode,
    /// <summary>A control frame without FIN.</summary>
    FragmentedControlFrame,
    /// <summary>A control frame whose payload exceeds 125 bytes.</summary>
    ControlFrameTooLong,
    /// <summary>A client frame without the mask bit.</summary>
    UnmaskedClientFrame,
    /// <summary>A server frame with the mask bit.</summary>
    MaskedServerFrame,
    /// <summary>A 64-bit length with the most significant bit set.</summary>
    LengthOverflow,
}
