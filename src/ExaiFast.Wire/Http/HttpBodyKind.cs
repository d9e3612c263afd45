namespace ExaiFast.Wire.Http;

/// <summary>How a request's body is delimited (RFC 9112 §6.3).</summary>
public enum HttpBodyKind : byte
{
    /// <summary>No body (no Content-Length, no Transfer-Encoding).</summary>
    None,
    /// <summary><c>Content-Length</c> bytes follow the head.</summary>
    ContentLength,
    /// <summary>The chunked transfer coding (RFC 9112 §7.1).</summary>
    Chunked,
}
