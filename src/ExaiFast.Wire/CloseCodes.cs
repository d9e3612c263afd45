namespace ExaiFast.Wire;

/// <summary>WebSocket close status codes (RFC 6455 §7.4) and the daemon's private codes (4000–4003).</summary>
public static class CloseCodes
{
    /// <summary>Normal closure.</summary>
    public const ushort Normal = 1000;
    /// <summary>The endpoint is going away (server shutdown, idle timeout).</summary>
    public const ushort GoingAway = 1001;
    /// <summary>Protocol error.</summary>
    public const ushort ProtocolError = 1002;
    /// <summary>Unsupported data type.</summary>
    public const ushort UnsupportedData = 1003;
    /// <summary>Reserved: "no status received". Never sent on the wire.</summary>
    public const ushort NoStatusReceived = 1005;
    /// <summary>A text message or close reason was not valid UTF-8.</summary>
    public const ushort InvalidPayload = 1007;
    /// <summary>Policy violation (connection limits).</summary>
    public const ushort PolicyViolation = 1008;
    /// <summary>The message exceeded the configured size limit.</summary>
    public const ushort MessageTooBig = 1009;
    /// <summary>The server hit an unexpected condition.</summary>
    public const ushort InternalError = 1011;
    /// <summary>exai-ws: the first frame was not JSON.</summary>
    public const ushort InvalidHello = 4000;
    /// <summary>exai-ws: the first frame was not a hello.</summary>
    public const ushort MissingHello = 4001;
    /// <summary>exai-ws: no hello within the hello timeout.</summary>
    public const ushort HelloTimeout = 4002;
    /// <summary>exai-ws: the hello's token was wrong.</summary>
    public const ushort Unauthorized = 4003;

    /// <summary>
    /// Whether a peer may send <paramref name="code"/> in a close frame: 1000–1003, 1007–1011 and 3000–4999.
    /// 1004–1006 and 1015 are reserved for local use; 1012–2999 are unassigned or registered for other
    /// purposes and rejected as RFC 6455 §7.4.2 requires of codes "not defined".
    /// </summary>
    public static bool IsValidFromPeer(int code) =>
        code is >= 1000 and <= 1003 or >= 1007 and <= 1011 or >= 3000 and <= 4999;
}
