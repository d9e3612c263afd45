namespace ExaiFast.Server.WebSockets;

/// <summary>Why a data frame cannot become part of a message; each fails the connection with its close code.</summary>
internal enum MessageError : byte
{
    /// <summary>No error.</summary>
    None,
    /// <summary>A continuation frame with no message open (1002).</summary>
    ContinuationWithoutMessage,
    /// <summary>A new text or binary frame while a fragmented message is open (1002).</summary>
    NewMessageWhileFragmented,
    /// <summary>The declared length passes the message size limit (1009).</summary>
    TooBig,
    /// <summary>A text message's bytes are not UTF-8 (1007).</summary>
    InvalidUtf8,
    /// <summary>A text message ends inside a UTF-8 sequence (1007).</summary>
    TruncatedUtf8,
}
