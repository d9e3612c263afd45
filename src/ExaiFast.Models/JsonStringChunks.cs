using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace ExaiFast.Models;

/// <summary>
/// Decodes a JSON string's content — the bytes between its quotes as sent, escapes included, valid UTF-8 (a parsed
/// document's value, checked with <see cref="Utf8.IsValid"/>) — into UTF-16 a buffer at a time: what
/// <see cref="System.Text.Json.JsonElement.GetString"/> gives, without a string (or a rented buffer) of its size.
/// </summary>
internal ref struct JsonStringChunks
{
    private readonly Span<char> _buffer;
    private ReadOnlySpan<byte> _rest;

    /// <param name="content">The string's bytes between its quotes.</param>
    /// <param name="buffer">Where chunks are decoded: at least 2 characters, so a surrogate pair always fits.</param>
    public JsonStringChunks(ReadOnlySpan<byte> content, Span<char> buffer)
    {
        _rest = content;
        _buffer = buffer;
    }

    /// <summary>The next chunk (never empty, a slice of the buffer valid until the next call), or false at the end.</summary>
    public bool MoveNext(out ReadOnlySpan<char> chunk)
    {
        int written = 0;
        while (!_rest.IsEmpty && _buffer.Length - written >= 2)
        {
            if (_rest[0] == (byte)'\\')
            {
                _buffer[written++] = Unescape(ref _rest);
                continue;
            }

            int escape = _rest.IndexOf((byte)'\\');
            var plain = escape < 0 ? _rest : _rest[..escape];

            // Plain text ends at an escape or the value's end, so never inside a sequence; a destination that fills up
            // stops at a sequence's boundary, and one of 2 characters or more always takes the first.
            Utf8.ToUtf16(plain, _buffer[written..], out int read, out int chars, replaceInvalidSequences: true, isFinalBlock: true);
            _rest = _rest[read..];
            written += chars;
        }

        chunk = _buffer[..written];
        return written > 0;
    }

    /// <summary>The UTF-16 length of the decoded content.</summary>
    public static int CountChars(ReadOnlySpan<byte> content)
    {
        int count = 0;
        while (!content.IsEmpty)
        {
            int escape = content.IndexOf((byte)'\\');
            if (escape < 0)
            {
                return checked(count + Encoding.UTF8.GetCharCount(content));
            }

            count = checked(count + Encoding.UTF8.GetCharCount(content[..escape]) + 1); // an escape is one UTF-16 unit
            content = content[(escape + (content[escape + 1] == (byte)'u' ? 6 : 2))..];
        }

        return count;
    }

    // One escape sequence at the start of rest (the parser checked its form), consumed.
    private static char Unescape(ref ReadOnlySpan<byte> rest)
    {
        byte kind = rest[1];
        if (kind == (byte)'u')
        {
            Utf8Parser.TryParse(rest.Slice(2, 4), out ushort code, out _, 'X');
            rest = rest[6..];
            return (char)code;
        }

        rest = rest[2..];
        return kind switch
        {
            (byte)'n' => '\n',
            (byte)'t' => '\t',
            (byte)'r' => '\r',
            (byte)'b' => '\b',
            (byte)'f' => '\f',
            _ => (char)kind, // \" \\ \/
        };
    }
}
