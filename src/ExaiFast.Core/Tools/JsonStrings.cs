using System.Runtime.InteropServices;
using System.Text.Json;

namespace ExaiFast.Core.Tools;

/// <summary>Reading a JSON string where it lies in the document, without making a <see cref="string"/> of it.</summary>
public static class JsonStrings
{
    /// <summary>
    /// The UTF-8 content of a string element — unquoted, valid while its document lives — if it has no escape
    /// sequences; otherwise false, and the caller takes the exact path (<see cref="JsonElement.GetString"/>).
    /// </summary>
    public static bool TryGetUnescapedUtf8(JsonElement value, out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        if (value.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }

        if (raw.IndexOf((byte)'\\') >= 0)
        {
            return false;
        }

        utf8 = raw;
        return true;
    }

    /// <summary>Strings up to this many bytes (as sent, escapes included) take <see cref="JsonElement.GetString"/>.</summary>
    public const int BigStringBytes = 1 << 20;

    /// <summary>
    /// The value of a string element, as <see cref="JsonElement.GetString"/> gives it, but without the shared pool for a
    /// big one: GetString unescapes a string with escape sequences into a buffer rented at its length from
    /// <see cref="System.Buffers.ArrayPool{T}.Shared"/>, which keeps it on the reading thread (after a burst of
    /// 30 MiB prompts, a 32 MiB array per thread that read one). Over <see cref="BigStringBytes"/> this unescapes into
    /// an array of its own, which the GC takes back.
    /// </summary>
    /// <exception cref="InvalidOperationException">The element is not a string.</exception>
    public static string GetString(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return value.GetString()!; // throws as GetString does
        }

        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length <= BigStringBytes || raw.IndexOf((byte)'\\') < 0)
        {
            return value.GetString()!; // small, or no escapes: transcoded straight from the document, no buffer
        }

        var reader = new Utf8JsonReader(raw);
        reader.Read();
        byte[] unescaped = GC.AllocateUninitializedArray<byte>(reader.ValueSpan.Length); // unescaped is never longer
        int length = reader.CopyString(unescaped); // a single span: unescapes in place, rents nothing
        return System.Text.Encoding.UTF8.GetString(unescaped, 0, length);
    }

    /// <summary>
    /// Whether a string element is empty or white space only (as <see cref="string.Trim()"/> sees it), decided in place
    /// where it can be: an ASCII character other than white space, sent as it is or as an escape, is visible text. Only
    /// a value of white space and non-ASCII characters (which may be Unicode spaces) is decoded to decide.
    /// </summary>
    public static bool IsBlank(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }

        for (int i = 0; i < raw.Length; i++)
        {
            int c = raw[i];
            if (c == '\\' && i + 1 < raw.Length)
            {
                c = raw[++i];
                if (c == 'u' && i + 4 < raw.Length && int.TryParse(raw.Slice(i + 1, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out int code))
                {
                    c = code;
                    i += 4;
                }
                else
                {
                    c = c switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'f' => '\f', 'b' => '\b', _ => c };
                }
            }

            if (c < 0x80 && !char.IsWhiteSpace((char)c))
            {
                return false;
            }
        }

        return GetString(value).AsSpan().Trim().IsEmpty;
    }

    /// <summary>
    /// The length of a string element in UTF-16 code units (<see cref="string.Length"/> of its value), counted where it
    /// lies: an escape is one unit (two \u escapes make a surrogate pair's two), a four-byte UTF-8 sequence two, any
    /// other sequence one. Nothing is decoded or copied, so a 60 MiB prompt costs one pass over its bytes.
    /// </summary>
    public static long Utf16Length(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }

        long length = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if (b == (byte)'\\')
            {
                i += i + 1 < raw.Length && raw[i + 1] == (byte)'u' ? 5 : 1;
                length++;
            }
            else if ((b & 0xC0) != 0x80) // not a continuation byte: a character starts here
            {
                length += b >= 0xF0 ? 2 : 1;
            }
        }

        return length;
    }
}
