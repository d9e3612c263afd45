using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace ExaiFast.Models;

/// <summary>
/// The text of a <see cref="ChatMessage"/>: a string, or a JSON string value a client sent, read in place where it
/// arrived, optionally followed by text a tool appends to it (embedded files).
/// </summary>
/// <remarks>
/// <para>Why: a 30 MiB prompt made into a <see cref="string"/> is a 60 MiB UTF-16 copy per call, besides the 30 MiB
/// message. Read in place, a provider writes it onward from the received bytes (<see cref="WriteValue"/>),
/// and the local model reads it a slice at a time (<see cref="GetChunks"/>): nothing payload-sized is made of it.</para>
/// <para>An in-place text is valid only while the document it was read from lives — for a tool's arguments, until the
/// call ends. Keep its <see cref="ToString()"/> (or <see cref="ToString(int)"/>, a prefix) for anything that outlives
/// the call.</para>
/// </remarks>
public readonly struct MessageText
{
    // Either the whole text (no _json), or the text after _json (null for none).
    private readonly string? _text;
    private readonly JsonElement _json;

    /// <summary>A text of <paramref name="text"/>.</summary>
    public MessageText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
        Length = text.Length;
    }

    private MessageText(JsonElement json, int length, string? suffix)
    {
        _json = json;
        _text = suffix;
        Length = length;
    }

    /// <summary>A text of <paramref name="text"/>.</summary>
    public static implicit operator MessageText(string text) => new(text);

    /// <summary>
    /// The string value <paramref name="value"/>, read in place: nothing is copied, and the caller keeps its document
    /// alive for as long as the text is used. Falls back to a string when the value is not valid UTF-8 (which a parse
    /// does not check; <see cref="JsonElement.GetString"/> then throws as it always does).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not a string.</exception>
    public static MessageText InPlace(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new ArgumentException($"a JSON string is needed, not {value.ValueKind}", nameof(value));
        }

        var content = Content(value);
        return Utf8.IsValid(content) ? new MessageText(value, JsonStringChunks.CountChars(content), null) : new MessageText(value.GetString()!);
    }

    /// <summary>The length in UTF-16 code units, as <see cref="string.Length"/> of the whole text would be.</summary>
    public int Length { get; }

    /// <summary>Whether part of the text is read in place from a JSON document.</summary>
    public bool IsInPlace => _json.ValueKind == JsonValueKind.String;

    /// <summary>The JSON string value read in place (its raw bytes are the value as sent), when <see cref="IsInPlace"/>.</summary>
    internal JsonElement InPlaceValue => _json;

    /// <summary>The text appended to an in-place value, or null.</summary>
    internal string? Appended => IsInPlace ? _text : null;

    /// <summary>This text followed by <paramref name="suffix"/>.</summary>
    public MessageText Append(string suffix)
    {
        if (suffix.Length == 0)
        {
            return this;
        }

        return IsInPlace
            ? new MessageText(_json, checked(Length + suffix.Length), _text + suffix)
            : new MessageText(_text + suffix);
    }

    /// <summary>The whole text as a string (made here for an in-place text: mind its size).</summary>
    public override string ToString() => IsInPlace ? ToString(int.MaxValue) : _text ?? string.Empty;

    /// <summary>At most the first <paramref name="maxChars"/> characters, never ending in half a surrogate pair.</summary>
    public string ToString(int maxChars)
    {
        if (!IsInPlace)
        {
            string text = _text ?? string.Empty;
            return text.Length <= maxChars ? text : text[..PairSafe(text.AsSpan(), maxChars)];
        }

        int length = Math.Min(maxChars, Length);
        string prefix = string.Create(length, this, static (destination, text) =>
        {
            Span<char> buffer = stackalloc char[ChunkChars];
            var chunks = text.GetChunks(buffer);
            int written = 0;
            while (written < destination.Length && chunks.MoveNext(out var chunk))
            {
                int n = Math.Min(chunk.Length, destination.Length - written);
                chunk[..n].CopyTo(destination[written..]);
                written += n;
            }
        });
        return length < Length && PairSafe(prefix, length) < length ? prefix[..^1] : prefix;
    }

    /// <summary>The characters a chunk from <see cref="GetChunks"/> holds at most, for an in-place text.</summary>
    public const int ChunkChars = 4096;

    /// <summary>
    /// The text in order, as spans of characters: a string's own characters, or an in-place value decoded into
    /// <paramref name="buffer"/> (at least 2 characters; <see cref="ChunkChars"/> on the stack is the usual) a slice at
    /// a time. A surrogate pair may be split across two chunks.
    /// </summary>
    public Chunks GetChunks(Span<char> buffer)
    {
        if (buffer.Length < 2)
        {
            throw new ArgumentException("a buffer of at least 2 characters is needed", nameof(buffer));
        }

        return IsInPlace ? new Chunks(Content(_json), _text, buffer) : new Chunks(default, _text ?? string.Empty, buffer);
    }

    /// <summary>
    /// Writes the text as a JSON string value: an in-place value alone as the bytes it arrived in (already valid JSON:
    /// the document parsed it, and it is valid UTF-8); one with text appended decoded and escaped again a slice at a time,
    /// through <see cref="Utf8JsonWriter"/>'s segments; a long string in segments too, which
    /// <see cref="Utf8JsonWriter.WriteStringValue(string)"/> would escape through a buffer rented at six times its length
    /// from the shared pool. (A model server's request splices an in-place value instead: <c>ChatRequestContent</c>.)
    /// </summary>
    public void WriteValue(Utf8JsonWriter writer)
    {
        if (!IsInPlace)
        {
            WriteSegmented(writer, (_text ?? string.Empty).AsSpan());
            return;
        }

        if (_text is null)
        {
            writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(_json), skipInputValidation: true);
            return;
        }

        // The received value with text after it: one value, decoded and escaped again a slice at a time.
        Span<char> buffer = stackalloc char[ChunkChars];
        var chunks = new Chunks(Content(_json), null, buffer);
        while (chunks.MoveNext(out var chunk))
        {
            writer.WriteStringValueSegment(chunk, isFinalSegment: false);
        }

        WriteSegmented(writer, _text.AsSpan(), started: true);
    }

    /// <summary>About the bytes <see cref="WriteValue"/> writes (exact for an in-place value alone), to size a buffer.</summary>
    public long SizeHint => IsInPlace
        ? JsonMarshal.GetRawUtf8Value(_json).Length + (_text?.Length ?? 0)
        : Length + 2L;

    private static void WriteSegmented(Utf8JsonWriter writer, ReadOnlySpan<char> text, bool started = false)
    {
        const int Segment = 8192;
        if (!started && text.Length <= Segment)
        {
            writer.WriteStringValue(text);
            return;
        }

        while (text.Length > Segment)
        {
            writer.WriteStringValueSegment(text[..Segment], isFinalSegment: false); // the writer joins a pair split here
            text = text[Segment..];
        }

        writer.WriteStringValueSegment(text, isFinalSegment: true);
    }

    private static int PairSafe(ReadOnlySpan<char> text, int length) =>
        length > 0 && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;

    // A string value's bytes between its quotes.
    private static ReadOnlySpan<byte> Content(JsonElement value) => JsonMarshal.GetRawUtf8Value(value)[1..^1];

    /// <summary>Walks a <see cref="MessageText"/> a span of characters at a time (<see cref="GetChunks"/>).</summary>
    public ref struct Chunks
    {
        private JsonStringChunks _inPlace;
        private string? _tail;

        internal Chunks(ReadOnlySpan<byte> content, string? tail, Span<char> buffer)
        {
            _inPlace = new JsonStringChunks(content, buffer);
            _tail = tail;
        }

        /// <summary>The next chunk (never empty), or false at the end.</summary>
        public bool MoveNext(out ReadOnlySpan<char> chunk)
        {
            if (_inPlace.MoveNext(out chunk))
            {
                return true;
            }

            if (!string.IsNullOrEmpty(_tail))
            {
                chunk = _tail;
                _tail = null;
                return true;
            }

            return false;
        }
    }
}
