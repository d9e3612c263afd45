namespace ExaiFast.Server;

/// <summary>
/// Whether a client's JSON is Unicode text all through, checked before it is parsed: JSON is UTF-8 (RFC 8259), and its
/// <c>\u</c> escapes must spell whole code points. A parse checks neither; a string that breaks either parses, then
/// throws wherever it is read (a name compared, a tool's prompt read, the document written out), deep in a tool or in a
/// door's error handling, and the client's mistake becomes an internal error.
/// </summary>
internal static class JsonUnicode
{
    private const byte ByteBackslash = (byte)'\\';

    /// <summary>Valid UTF-8, with no escape of half a surrogate pair.</summary>
    public static bool IsValid(ReadOnlySpan<byte> json) => System.Text.Unicode.Utf8.IsValid(json) && EscapesArePaired(json);

    /// <summary>
    /// No <c>\uD800</c>–<c>\uDBFF</c> escape without a <c>\uDC00</c>–<c>\uDFFF</c> escape right after it, and no such low
    /// one alone (RFC 8259 §8.2: what a reader makes of them is unpredictable; System.Text.Json throws).
    /// </summary>
    /// <remarks>
    /// In valid JSON a backslash occurs only inside a string, where it starts an escape: the scan jumps from one backslash
    /// to the next (vectorized) and reads no string's content. JSON that is not valid may pass; its parse fails anyway.
    /// </remarks>
    public static bool EscapesArePaired(ReadOnlySpan<byte> json)
    {
        int at = json.IndexOf(ByteBackslash);
        while (at >= 0 && at + 1 < json.Length)
        {
            int next = at + 2; // \n, \", \\ …
            if (json[at + 1] == (byte)'u' && TryReadHex(json, at + 2, out int unit))
            {
                if (char.IsLowSurrogate((char)unit))
                {
                    return false;
                }

                next = at + 6;
                if (char.IsHighSurrogate((char)unit))
                {
                    if (!(json.Length >= at + 12 && json[at + 6] == ByteBackslash && json[at + 7] == (byte)'u'
                        && TryReadHex(json, at + 8, out int low) && char.IsLowSurrogate((char)low)))
                    {
                        return false;
                    }

                    next = at + 12;
                }
            }

            int ahead = next < json.Length ? json[next..].IndexOf(ByteBackslash) : -1;
            at = ahead < 0 ? -1 : next + ahead;
        }

        return true;
    }

    private static bool TryReadHex(ReadOnlySpan<byte> json, int start, out int value)
    {
        value = 0;
        if (json.Length < start + 4)
        {
            return false;
        }

        foreach (byte b in json.Slice(start, 4))
        {
            int digit = b is >= (byte)'0' and <= (byte)'9' ? b - '0'
                : (b | 0x20) is >= 'a' and <= 'f' ? (b | 0x20) - 'a' + 10
                : -1;
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }
}
