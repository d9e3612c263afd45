using System.Security.Cryptography;
using System.Text;

namespace ExaiFast.Models.Local;

/// <summary>
/// The built-in offline model: deterministic, clearly labelled text derived from the request, with configurable
/// latency and token streaming. Makes every tool work with no API key, and is the zero-cost upstream for load tests.
/// </summary>
/// <remarks>Thread-safe and stateless apart from its counters, which tests read to see that cancellation reaches it.</remarks>
public sealed class LocalModelProvider : IModelProvider
{
    /// <summary>The provider (and lane) name.</summary>
    public const string ProviderName = "local";

    /// <summary>The model name.</summary>
    public const string ModelName = "local-echo";

    private readonly TimeSpan _defaultLatency;
    private readonly TimeProvider _time;
    private long _requests;
    private long _cancelled;
    private long _completed;

    /// <summary>Creates the provider.</summary>
    /// <param name="defaultLatency">Simulated latency per request (<c>LOCAL_MODEL_LATENCY_MS</c>).</param>
    /// <param name="time">Clock for the simulated latency.</param>
    public LocalModelProvider(TimeSpan defaultLatency, TimeProvider? time = null)
    {
        _defaultLatency = defaultLatency;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Name => ProviderName;

    /// <inheritdoc />
    public IReadOnlyList<ModelSpec> Models { get; } = [new(ModelName, 0, ModelCapabilities.Fast)];

    /// <inheritdoc />
    public ProviderState State => ProviderState.Closed;

    /// <summary>Requests started.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests abandoned because their token fired.</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Requests answered.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <inheritdoc />
    public async ValueTask<ModelResponse> CompleteAsync(ModelRequest request, Action<string>? onToken, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        string text = Compose(request);
        var latency = request.LatencyMs is int ms ? TimeSpan.FromMilliseconds(ms) : _defaultLatency;
        try
        {
            if (onToken is null)
            {
                if (latency > TimeSpan.Zero)
                {
                    await Task.Delay(latency, _time, cancellationToken).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
            }
            else
            {
                // Stream word by word, the latency spread over the words.
                string[] words = text.Split(' ');
                var perWord = latency / Math.Max(1, words.Length);
                for (int i = 0; i < words.Length; i++)
                {
                    if (perWord > TimeSpan.Zero)
                    {
                        await Task.Delay(perWord, _time, cancellationToken).ConfigureAwait(false);
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    onToken(i == 0 ? words[i] : " " + words[i]);
                }
            }
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }

        Interlocked.Increment(ref _completed);
        return new ModelResponse(text, ProviderName, ModelName);
    }

    // First 6 bytes of SHA-256(system + "\n" + prompt), both as UTF-8: one shot on the stack for short prompts, in slices
    // for long ones (a 30 MiB prompt once rented 90 MiB from the shared pool to encode it whole, and the pool kept it:
    // what a burst of big prompts left behind after the memory monitor's compaction).
    private static void Digest(string system, ReadOnlySpan<char> prompt, Span<byte> digest)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        if (Encoding.UTF8.GetMaxByteCount(system.Length + prompt.Length + 1) <= 1024)
        {
            Span<byte> bytes = stackalloc byte[1024];
            int n = Encoding.UTF8.GetBytes(system, bytes);
            bytes[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(prompt, bytes[n..]);
            SHA256.HashData(bytes[..n], hash);
        }
        else
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Span<byte> slice = stackalloc byte[8192];
            var encoder = Encoding.UTF8.GetEncoder();
            AppendUtf8(sha, encoder, system, slice, flush: true);
            sha.AppendData("\n"u8);
            AppendUtf8(sha, encoder, prompt, slice, flush: true);
            sha.GetHashAndReset(hash);
        }

        hash[..digest.Length].CopyTo(digest);
    }

    // As Encoding.UTF8.GetBytes(text) would encode it, a slice at a time; flushed at the text's end (without flush, a
    // high surrogate at the end waits for its pair in the next call).
    private static void AppendUtf8(IncrementalHash sha, Encoder encoder, ReadOnlySpan<char> text, Span<byte> slice, bool flush)
    {
        bool completed;
        do
        {
            encoder.Convert(text, slice, flush, out int charsUsed, out int bytesUsed, out completed);
            sha.AppendData(slice[..bytesUsed]);
            text = text[charsUsed..];
        }
        while (!completed);
    }

    private static int CountWords(ReadOnlySpan<char> text)
    {
        bool inWord = false;
        return CountWords(text, ref inWord);
    }

    // Words that begin in text, the state carried from a previous slice.
    private static int CountWords(ReadOnlySpan<char> text, ref bool inWord)
    {
        int words = 0;
        foreach (char c in text)
        {
            bool space = char.IsWhiteSpace(c);
            if (!space && !inWord)
            {
                words++;
            }

            inWord = !space;
        }

        return words;
    }

    // One string: the answer itself (the digest is formatted in place, the excerpt is a slice of the prompt).
    private static string Compose(ModelRequest request)
    {
        var text = request.LastUserText();
        if (text.IsInPlace)
        {
            return ComposeInPlace(request, text);
        }

        var prompt = text.ToString().AsSpan().Trim();
        bool cut = prompt.Length > ExcerptChars;
        Span<byte> digest = stackalloc byte[6];
        Digest(request.SystemText(), prompt, digest);
        return Format(CountWords(prompt), prompt.Length, digest, EarlierMessages(request), cut ? prompt[..ExcerptChars] : prompt, cut);
    }

    private const int ExcerptChars = 200;

    // The same answer for a big prompt read in place where it arrived: two passes over its characters a
    // slice at a time (where the trimmed text begins and ends; then its digest, words and excerpt), no copy of it.
    private static string ComposeInPlace(ModelRequest request, MessageText text)
    {
        Span<char> buffer = stackalloc char[MessageText.ChunkChars];
        int position = 0, start = -1, end = 0;
        var chunks = text.GetChunks(buffer);
        while (chunks.MoveNext(out var chunk))
        {
            int lead = chunk.Length - chunk.TrimStart().Length;
            if (start < 0 && lead < chunk.Length)
            {
                start = position + lead;
            }

            int kept = chunk.TrimEnd().Length;
            if (kept > 0)
            {
                end = position + kept;
            }

            position += chunk.Length;
        }

        start = Math.Max(start, 0);
        end = Math.Max(end, start);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> slice = stackalloc byte[8192];
        var encoder = Encoding.UTF8.GetEncoder();
        AppendUtf8(sha, encoder, request.SystemText(), slice, flush: true);
        sha.AppendData("\n"u8);

        Span<char> excerpt = stackalloc char[ExcerptChars];
        int excerptLength = 0, words = 0;
        bool inWord = false;
        position = 0;
        chunks = text.GetChunks(buffer);
        while (chunks.MoveNext(out var chunk))
        {
            int from = Math.Clamp(start - position, 0, chunk.Length), to = Math.Clamp(end - position, 0, chunk.Length);
            position += chunk.Length;
            var piece = chunk[from..to];
            AppendUtf8(sha, encoder, piece, slice, flush: position >= end); // a pair split between slices is joined
            words += CountWords(piece, ref inWord);
            int take = Math.Min(piece.Length, ExcerptChars - excerptLength);
            piece[..take].CopyTo(excerpt[excerptLength..]);
            excerptLength += take;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        sha.GetHashAndReset(hash);
        int length = end - start;
        return Format(words, length, hash[..6], EarlierMessages(request), excerpt[..excerptLength], length > ExcerptChars);
    }

    private static string Format(int words, int length, ReadOnlySpan<byte> digest, int earlier, ReadOnlySpan<char> excerpt, bool cut)
    {
        Span<char> hex = stackalloc char[12];
        Convert.TryToHexStringLower(digest, hex, out _);
        return earlier == 0
            ? $"[offline local model — no API key configured; this is not an AI answer] Received {words} words ({length} characters), digest {hex}. You wrote: \"{excerpt}{(cut ? "…" : "")}\""
            : $"[offline local model — no API key configured; this is not an AI answer] Received {words} words ({length} characters), digest {hex}, after {earlier} earlier message{(earlier == 1 ? "" : "s")} of conversation. You wrote: \"{excerpt}{(cut ? "…" : "")}\"";
    }

    // Messages of a continued conversation before the last user message (system messages aside): what shows that a
    // thread's history reached the model.
    private static int EarlierMessages(ModelRequest request)
    {
        int n = 0;
        for (int i = 0; i < request.Messages.Count; i++)
        {
            n += request.Messages[i].Role == ChatRole.System ? 0 : 1;
        }

        return Math.Max(0, n - 1);
    }
}
