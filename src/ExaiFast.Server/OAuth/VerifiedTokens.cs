using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ExaiFast.Server.OAuth;

/// <summary>
/// Access tokens found good, until they expire: a client sends the same token with every Streamable HTTP POST, and its
/// signature needs checking once, not per request.
/// </summary>
/// <remarks>
/// Thread-safe. A token is remembered by its SHA-256 (the token itself is not kept) with the moment it stops being good —
/// its <c>exp</c> plus the clock skew the check allows — and the issuer's key set it was checked against: once that set
/// is fetched again (a rotation, or its hourly refresh), the token is checked again, so a key the issuer withdrew stops
/// working. Bounded: when full, expired entries go; if none has, all do (their tokens are merely checked again).
/// </remarks>
internal sealed class VerifiedTokens(TimeProvider time, int capacity = VerifiedTokens.DefaultCapacity)
{
    /// <summary>Enough for every client of a busy daemon; an entry is about 200 bytes.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many tokens are remembered.</summary>
    public int Count => _entries.Count;

    /// <summary>The key set <paramref name="token"/> was found good with, while it has not expired; else null (and forgotten).</summary>
    public IssuerKeys.KeySet? Find(string token, out string? kid)
    {
        kid = null;
        string key = KeyOf(token);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (time.GetUtcNow() >= entry.Until)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            return null;
        }

        kid = entry.Kid;
        return entry.Keys;
    }

    /// <summary>Remembers <paramref name="token"/>, found good with <paramref name="keys"/>, until <paramref name="until"/>.</summary>
    public void Add(string token, DateTimeOffset until, IssuerKeys.KeySet keys, string? kid)
    {
        if (_entries.Count >= capacity)
        {
            var now = time.GetUtcNow();
            foreach (var (key, entry) in _entries)
            {
                if (now >= entry.Until)
                {
                    _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                }
            }

            if (_entries.Count >= capacity)
            {
                _entries.Clear();
            }
        }

        _entries[KeyOf(token)] = new Entry(until, keys, kid);
    }

    private static string KeyOf(string token) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private sealed record Entry(DateTimeOffset Until, IssuerKeys.KeySet Keys, string? Kid);
}
