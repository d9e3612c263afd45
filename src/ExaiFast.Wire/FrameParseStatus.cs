namespace ExaiFast.Wire;

/// <summary>Outcome of <see cref="FrameParser.TryParseHeader(System.ReadOnlySpan{byte}, bool, out FrameHeader)"/>.</summary>
public enum FrameParseStatus : byte
{
    /// <summary>A whole header was parsed.</summary>
    Done,
    /// <summary>More bytes are needed before the header can be parsed.</summary>
    Incomplete,
    /// <summary>The header breaks RFC 6455; see <see cref="FrameHeader.Error"/>.</summary>
    Invalid,
}
