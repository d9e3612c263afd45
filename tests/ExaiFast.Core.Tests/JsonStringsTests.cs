using System.Buffers;
using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>Reading strings in place: blank checks through escapes, and big escaped strings read without the shared pool.</summary>
public class JsonStringsTests
{
    [Theory]
    [InlineData("\"\"", true)]
    [InlineData("\"   \"", true)]
    [InlineData("\" \\n\\t\\r\\f \"", true)]
    [InlineData("\"\\u0020\\u000B\\u00A0\\u2003\"", true)] // Unicode spaces: decided by decoding
    [InlineData("\"\\u00A0x\"", false)]
    [InlineData("\" \\n x\"", false)]
    [InlineData("\"\\\"\"", false)]
    [InlineData("\"\\\\\"", false)]
    [InlineData("\"\\/\"", false)]
    [InlineData("\"\\b\"", false)] // a backspace is not white space
    [InlineData("\"\\u0041\"", false)]
    [InlineData("\"é\"", false)]
    [InlineData("\"\u3000\"", true)] // an ideographic space, sent as it is
    public void IsBlank_AgreesWithTrim(string json, bool blank)
    {
        using var document = JsonDocument.Parse(json);
        var value = document.RootElement;
        Assert.Equal(value.GetString()!.Trim().Length == 0, blank); // the case itself is right
        Assert.Equal(blank, JsonStrings.IsBlank(value));
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"plain ascii\"")]
    [InlineData("\"é, 世界 and 😀 as they are\"")] // two-, three- and four-byte UTF-8 (the last is two UTF-16 units)
    [InlineData("\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\"")] // every kind of escape, a surrogate pair as two
    [InlineData("\"mixed é \\u4e16 😀\\r\\n end\"")]
    public void Utf16Length_IsTheLengthOfGetString(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal(document.RootElement.GetString()!.Length, JsonStrings.Utf16Length(document.RootElement));
    }

    [Fact]
    public void GetString_OfABigEscapedString_IsGetStringsValue_AndLeavesNoBufferInTheSharedPool()
    {
        // 9 MiB: an unescape buffer would fall in the pool's 16 MiB bucket, which nothing else in this assembly uses.
        var json = new StringBuilder("\"");
        while (json.Length < 9 << 20)
        {
            json.Append("a \\\"quoted\\\" line with a surrogate pair \\ud83d\\ude00 and é\\n");
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(json.Append('"').ToString());
        using var document = JsonDocument.Parse(utf8);
        byte[] metadata = ArrayPool<byte>.Shared.Rent(utf8.Length); // the document's parse left its metadata in the pool: out of the way
        string value = JsonStrings.GetString(document.RootElement);

        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[] rented = ArrayPool<byte>.Shared.Rent(utf8.Length);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before >= 9 << 20, "the shared pool kept an unescape buffer");
        GC.KeepAlive(rented);
        GC.KeepAlive(metadata);

        Assert.Equal(document.RootElement.GetString(), value);
    }

    [Fact]
    public void GetString_OfANonString_ThrowsAsGetStringDoes()
    {
        using var document = JsonDocument.Parse("12");
        Assert.Throws<InvalidOperationException>(() => JsonStrings.GetString(document.RootElement));
    }
}
