using System.Text.Json;

namespace ExaiFast.Server;

/// <summary>
/// Parses and disposes the <see cref="JsonDocument"/> of a big message (over the inbound budget's small-message size)
/// on a short-lived thread of its own, so that the payload-sized metadata array the document rents from
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/> is not kept by the pool after a burst.
/// </summary>
/// <remarks>
/// <para>Why: <see cref="JsonDocument"/> rents its metadata at the payload's length (one 12-byte row per 12 bytes of
/// JSON, its guess) from the shared pool, for every parse. A document of a few tokens — a 30 MiB prompt is one string —
/// gives it back at the end of the parse, and a dense one when it is disposed. The pool puts a returned array in the
/// returning thread's own slot for its size first, and a pool thread lives on: after a burst of 8 × 30 MiB prompts a
/// gcdump found four 32 MiB arrays held that way (128 of a 135 MB heap), freed only after a minute and several gen2
/// collections that an idle daemon never makes. Measured on .NET 10: <c>JsonDocument.Parse</c>,
/// <c>JsonDocument.ParseValue</c> and <c>JsonElement.ParseValue</c> all rent it (ParseValue copies the value as well),
/// and no public API parses without the pool.</para>
/// <para>So the rent and the return happen on a thread that ends right after: what the pool stored in that thread's
/// slots dies with it. Creating a thread costs tens of microseconds, nothing beside parsing a megabyte or more; small
/// messages never come here.</para>
/// </remarks>
internal static class BigMessageJson
{
    // The parser is iterative (its depth lives in a heap stack): a small stack is plenty.
    private const int StackBytes = 256 * 1024;

    /// <summary>Parses <paramref name="utf8"/> in place (the document reads it; nothing is copied) on a thread of its own.</summary>
    /// <exception cref="JsonException">The bytes are not valid JSON (or nest deeper than the options allow).</exception>
    public static Task<JsonDocument> ParseAsync(ReadOnlyMemory<byte> utf8, JsonDocumentOptions options)
    {
        var parsed = new TaskCompletionSource<JsonDocument>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(
            () =>
            {
                try
                {
                    parsed.SetResult(JsonDocument.Parse(utf8, options));
                }
                catch (Exception ex)
                {
                    parsed.SetException(ex);
                }
            },
            StackBytes)
        {
            IsBackground = true,
            Name = "exaifast big-message parse",
        };
        thread.UnsafeStart(); // no ExecutionContext to carry: the work touches nothing ambient
        return parsed.Task;
    }

    /// <summary>Disposes <paramref name="document"/> on a thread of its own (a dense document returns its payload-sized
    /// metadata only now), then runs <paramref name="then"/> there; returns at once.</summary>
    public static void DisposeThen(JsonDocument document, Action then)
    {
        var thread = new Thread(
            () =>
            {
                try
                {
                    document.Dispose();
                }
                finally
                {
                    then();
                }
            },
            StackBytes)
        {
            IsBackground = true,
            Name = "exaifast big-message dispose",
        };
        thread.UnsafeStart();
    }
}
