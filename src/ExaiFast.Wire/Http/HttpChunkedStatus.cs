namespace ExaiFast.Wire.Http;

/// <summary>Outcome of one <see cref="HttpChunkedDecoder.Decode"/> call.</summary>
public enum HttpChunkedStatus : byte
{
    /// <summary>Everything available was decoded; the body goes on.</summary>
    NeedMoreData,
    /// <summary>The last chunk and the trailer section have been read: the body is complete.</summary>
    Done,
    /// <summary>A chunk size took the body past the limit (reply 413).</summary>
    TooLarge,
    /// <summary>Malformed chunk framing (reply 400 and close: never guess where the next request starts).</summary>
    BadRequest,
}
