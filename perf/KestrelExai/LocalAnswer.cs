using System.Security.Cryptography;
using System.Text;

namespace KestrelExai;

/// <summary>
/// The text ExaiFast's offline local model answers (same shape, same work: word count, a SHA-256 digest of the
/// system and user prompt, an excerpt), so both daemons pay for the same answer and send frames of the same size.
/// </summary>
internal static class LocalAnswer
{
    private const string SystemPrompt = "You are a senior engineer and a thoughtful thinking partner. Answer precisely and briefly.";

    public static string Compose(string prompt)
    {
        var trimmed = prompt.AsSpan().Trim();
        bool cut = trimmed.Length > 200;
        var excerpt = cut ? trimmed[..200] : trimmed;
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(SystemPrompt + "\n" + trimmed.ToString()));
        string digest = Convert.ToHexStringLower(hash, 0, 6);
        int words = 0;
        bool inWord = false;
        foreach (char c in trimmed)
        {
            bool space = char.IsWhiteSpace(c);
            words += !space && !inWord ? 1 : 0;
            inWord = !space;
        }

        return $"[offline local model — no API key configured; this is not an AI answer] Received {words} words ({trimmed.Length} characters), digest {digest}. You wrote: \"{excerpt}{(cut ? "…" : "")}\"";
    }
}
