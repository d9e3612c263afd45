namespace ExaiFast.Wire.Http;

/// <summary>Outcome of looking for and parsing an HTTP/1.1 request head.</summary>
public enum HttpHeadStatus : byte
{
    /// <summary>A complete head was parsed.</summary>
    Done,
    /// <summary>The blank line ending the head has not arrived yet.</summary>
    Incomplete,
    /// <summary>The head is larger than the limit (reply 431).</summary>
    TooLarge,
    /// <summary>The head is malformed (reply 400).</summary>
    BadRequest,
}
