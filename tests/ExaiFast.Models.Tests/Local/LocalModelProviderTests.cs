using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ExaiFast.Models;
using ExaiFast.Models.Local;

namespace ExaiFast.Models.Tests.Local;

/// <summary>The offline model's answer: labelled, deterministic, and derived from the request as documented.</summary>
public class LocalModelProviderTests
{
    private static string ExpectedDigest(string system, string prompt) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(system + "\n" + prompt))[..6]);

    [Fact]
    public async Task Answer_IsLabelled_CountsWordsAndCharacters_AndCarriesTheDigestOfSystemAndTrimmedPrompt()
    {
        var provider = new LocalModelProvider(TimeSpan.Zero);
        var request = ModelRequest.FromPrompt(null, "be brief", "  two words\n", latencyMs: 0);

        var response = await provider.CompleteAsync(request, null, TestContext.Current.CancellationToken);

        Assert.Equal(
            "[offline local model — no API key configured; this is not an AI answer] Received 2 words (9 characters), " +
            $"digest {ExpectedDigest("be brief", "two words")}. You wrote: \"two words\"",
            response.Text);
        Assert.Equal(("local", "local-echo"), (response.Provider, response.Model));
        Assert.Equal(response.Text, (await provider.CompleteAsync(request, null, TestContext.Current.CancellationToken)).Text);
    }

    [Fact]
    public async Task LongAndNonAsciiPrompts_AreExcerptedAt200Characters_AndDigestedWhole()
    {
        var provider = new LocalModelProvider(TimeSpan.Zero);
        string prompt = string.Concat(Enumerable.Repeat("héllo wörld ", 200)).TrimEnd(); // > 1 KiB of UTF-8: hashed in slices

        var response = await provider.CompleteAsync(ModelRequest.FromPrompt(null, "sys", prompt), null, TestContext.Current.CancellationToken);

        Assert.Contains($"Received 400 words ({prompt.Length} characters), digest {ExpectedDigest("sys", prompt)}.", response.Text);
        Assert.EndsWith($"You wrote: \"{prompt[..200]}…\"", response.Text);
    }

    [Fact]
    public async Task AMegabytePrompt_IsDigestedInSlices_AsIfWhole_SurrogatePairsAcrossSliceEnds()
    {
        // 8 KiB slices of UTF-8: with 1-, 2- and 4-byte characters (a surrogate pair) repeating every 7 bytes, slice ends
        // fall inside characters; the digest must equal SHA-256 over the whole encoding.
        var provider = new LocalModelProvider(TimeSpan.Zero);
        string prompt = string.Concat(Enumerable.Repeat("a\U0001F600é", 150_000));

        var response = await provider.CompleteAsync(ModelRequest.FromPrompt(null, "sys", prompt), null, TestContext.Current.CancellationToken);

        Assert.Contains($"digest {ExpectedDigest("sys", prompt)}.", response.Text);
    }

    [Fact]
    public async Task Streaming_SendsTheAnswerWordByWord()
    {
        var provider = new LocalModelProvider(TimeSpan.Zero);
        var chunks = new List<string>();

        var response = await provider.CompleteAsync(ModelRequest.FromPrompt(null, "s", "stream me"), chunks.Add, TestContext.Current.CancellationToken);

        Assert.True(chunks.Count > 5);
        Assert.Equal(response.Text, string.Concat(chunks));
    }
    [Theory]
    [MemberData(nameof(MessageTextTests.Texts), MemberType = typeof(MessageTextTests))]
    public async Task APromptReadInPlace_GetsTheAnswerItsStringWould_AloneAndWithTextAppended(string text, bool raw)
    {
        // The local model reads a big prompt a slice at a time (trim, words, excerpt, digest); the answer must be the one
        // the whole string gets — with pairs split across slices and Unicode white space at either end.
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(
            new Dictionary<string, string> { ["p"] = "\u2003 " + text + " \u3000" },
            new JsonSerializerOptions { Encoder = raw ? System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping : null }));
        var element = document.RootElement.GetProperty("p");
        var provider = new LocalModelProvider(TimeSpan.Zero);
        var ct = TestContext.Current.CancellationToken;
        foreach (string suffix in new[] { "", "\n\nFiles:\n1 | x \U0001F600  " })
        {
            var inPlace = MessageText.InPlace(element).Append(suffix);
            Assert.True(inPlace.IsInPlace);
            var expected = await provider.CompleteAsync(ModelRequest.FromPrompt(null, "sys", element.GetString() + suffix), null, ct);
            var actual = await provider.CompleteAsync(ModelRequest.FromPrompt(null, "sys", inPlace), null, ct);
            Assert.Equal(expected.Text, actual.Text);
        }
    }
}
