using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ExaiFast.Models;

namespace ExaiFast.Models.Tests;

/// <summary>
/// A prompt read in place where it arrived (<see cref="MessageText.InPlace"/>) reads exactly as
/// <see cref="JsonElement.GetString"/> would give it — its length, its characters a slice at a time, any prefix, the JSON
/// it writes onward — for every escape, for non-ASCII sent raw or escaped, and for surrogate pairs split across slices.
/// </summary>
public class MessageTextTests
{
    // Texts whose JSON has every kind of escape, raw and escaped non-ASCII, pairs, lone surrogates and white space.
    public static TheoryData<string, bool> Texts()
    {
        var data = new TheoryData<string, bool>();
        string emoji = "\U0001F600";
        string[] texts =
        [
            "",
            "plain ascii",
            "quote \" backslash \\ slash / tab \t newline \n return \r backspace \b formfeed \f nul \0 control \u001f",
            "é 中文 " + emoji + " mixed",
            "  \u3000 leading and trailing white space \t\n",
            "lone \ud800 high, lone \udc00 low",
            // Pairs straddling the 4,096-character slice at many offsets, raw or escaped.
            new string('a', MessageText.ChunkChars - 1) + emoji + new string('b', MessageText.ChunkChars) + emoji,
            // Escaped, a pair's high half lands last in a slice (at 4,094 here, or after the 2 characters the local model's
            // test puts before it) and its low half begins the next.
            new string('a', MessageText.ChunkChars - 2) + emoji + "z",
            new string('a', MessageText.ChunkChars - 4) + emoji + "z",
            string.Concat(Enumerable.Range(0, 3000).Select(i => i % 7 == 0 ? emoji : i % 5 == 0 ? "\n" : i % 3 == 0 ? "é" : "x")),
            string.Concat(Enumerable.Repeat("line with \"quotes\" and a tab\t and 中\n", 2000)),
        ];
        foreach (string text in texts)
        {
            data.Add(text, false); // non-ASCII escaped as \uXXXX (the default encoder)
            data.Add(text, true); // non-ASCII sent as raw UTF-8
        }

        return data;
    }

    private static JsonDocument Document(string text, bool raw) => JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(
        new Dictionary<string, string> { ["p"] = text },
        new JsonSerializerOptions { Encoder = raw ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping : JavaScriptEncoder.Default }));

    [Theory]
    [MemberData(nameof(Texts))]
    public void InPlace_ReadsAsGetStringWould_WholeInSlicesAndAsPrefixes(string text, bool raw)
    {
        using var document = Document(text, raw);
        var element = document.RootElement.GetProperty("p");
        string expected = element.GetString()!;
        var inPlace = MessageText.InPlace(element);

        Assert.True(inPlace.IsInPlace);
        Assert.Equal(expected.Length, inPlace.Length);
        Assert.Equal(expected, inPlace.ToString());
        Assert.Equal(expected, Concatenated(inPlace, MessageText.ChunkChars));
        Assert.Equal(expected, Concatenated(inPlace, 2)); // the smallest buffer: every pair lands across a slice
        Assert.Equal(expected, Concatenated(inPlace, 3));

        foreach (int n in new[] { 0, 1, 2, 5, 200, MessageText.ChunkChars - 1, MessageText.ChunkChars, MessageText.ChunkChars + 1, expected.Length, expected.Length + 10 })
        {
            string prefix = inPlace.ToString(n);
            Assert.Equal(new MessageText(expected).ToString(n), prefix);
            Assert.StartsWith(prefix, expected, StringComparison.Ordinal);
            Assert.True(prefix.Length == Math.Min(n, expected.Length) || (prefix.Length == n - 1 && char.IsHighSurrogate(expected[n - 1])), $"prefix of {n}: {prefix.Length}");
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void WrittenOnward_ItIsTheSameJsonString_AloneOrWithTextAppended(string text, bool raw)
    {
        using var document = Document(text, raw);
        var element = document.RootElement.GetProperty("p");
        string expected = element.GetString()!;
        const string Files = "\n\nFiles:\n--- /a.cs ---\n1 | var x = \"é\U0001F600\";";

        Assert.Equal(expected, RoundTrip(MessageText.InPlace(element)));
        Assert.Equal(expected + Files, RoundTrip(MessageText.InPlace(element).Append(Files)));
        Assert.Equal(expected, RoundTrip(new MessageText(expected)));
        Assert.Equal(expected + Files, RoundTrip(new MessageText(expected).Append(Files)));

        var appended = MessageText.InPlace(element).Append(Files);
        Assert.Equal(expected.Length + Files.Length, appended.Length);
        Assert.Equal(expected + Files, appended.ToString());
        Assert.Equal(expected + Files, Concatenated(appended, 2));
    }

    [Fact]
    public void AValueWithNothingAppended_IsWrittenOnwardAsTheBytesItArrivedIn()
    {
        byte[] json = Encoding.UTF8.GetBytes("{\"p\":\"as sent: \\u00e9 é \\n \\/ \\ud83d\\ude00\"}");
        using var document = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            MessageText.InPlace(document.RootElement.GetProperty("p")).WriteValue(writer);
        }

        Assert.Equal("\"as sent: \\u00e9 é \\n \\/ \\ud83d\\ude00\"", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void ALongString_IsWrittenInSegments_PairsAcrossSegmentsIntact()
    {
        // 8,192-character segments: a pair at 8,191/8,192 is split by the writer's segments and must come out whole.
        string text = new string('q', 8191) + "\U0001F600" + new string('r', 20_000) + "\"\n";
        Assert.Equal(text, RoundTrip(new MessageText(text)));
    }

    [Fact]
    public void InvalidUtf8_IsNotReadInPlace_AndFailsAsGetStringDoes()
    {
        // A parse does not check the UTF-8 inside strings; forwarding it raw would pass it upstream.
        byte[] json = [(byte)'{', (byte)'"', (byte)'p', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}'];
        using var document = JsonDocument.Parse(json);
        Assert.Throws<InvalidOperationException>(() => MessageText.InPlace(document.RootElement.GetProperty("p")));
    }

    [Fact]
    public void OnlyAJsonStringIsReadInPlace()
    {
        using var document = JsonDocument.Parse("{\"p\":42}");
        Assert.Throws<ArgumentException>(() => MessageText.InPlace(document.RootElement.GetProperty("p")));
    }

    [Fact]
    public void AString_IsItsOwnSingleSlice_AndItsOwnToString()
    {
        string text = new('s', 10_000);
        var message = new MessageText(text);
        Assert.False(message.IsInPlace);
        Assert.Same(text, message.ToString());
        Span<char> buffer = stackalloc char[2];
        var chunks = message.GetChunks(buffer);
        Assert.True(chunks.MoveNext(out var chunk));
        Assert.Equal(text.Length, chunk.Length);
        Assert.False(chunks.MoveNext(out _));
    }

    private static string Concatenated(MessageText text, int bufferChars)
    {
        var builder = new StringBuilder();
        Span<char> buffer = stackalloc char[bufferChars];
        var chunks = text.GetChunks(buffer);
        while (chunks.MoveNext(out var chunk))
        {
            Assert.False(chunk.IsEmpty);
            builder.Append(chunk);
        }

        return builder.ToString();
    }

    private static string RoundTrip(MessageText text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("content");
            text.WriteValue(writer);
            writer.WriteEndObject();
        }

        using var written = JsonDocument.Parse(buffer.WrittenMemory);
        return written.RootElement.GetProperty("content").GetString()!;
    }
}
