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
}
