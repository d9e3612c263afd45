using System.Security.Cryptography;
using System.Text;

namespace ExaiFast.Server;

/// <summary>
/// The daemon's token (<c>EXAI_WS_TOKEN</c>): one instance, owned by the host, guards every door — exai-ws hellos,
/// MCP WebSocket upgrades and Streamable HTTP requests — so that <c>rotate_token</c> covers them all. Constant-time
/// checks, so how long a refusal takes tells nothing about the token. Thread-safe.
/// </summary>
/// <remarks>
/// Both sides are hashed with SHA-256 before <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the
/// content nor the length of the token leaks through timing. The token is never logged or echoed.
/// </remarks>
internal sealed class TokenGuard(string token)
{
    private volatile byte[] _hash = Hash(token);
    private volatile bool _enabled = token.Length > 0;

    /// <summary>Whether a token is required.</summary>
    public bool Enabled => _enabled;

    /// <summary>Whether <paramref name="candidate"/> is the current token (always true when none is configured).</summary>
    public bool Check(string? candidate) => !_enabled || CryptographicOperations.FixedTimeEquals(Hash(candidate ?? string.Empty), _hash);

    /// <summary>Whether the request head carries the current token: <c>Authorization: Bearer …</c>, or, when
    /// <paramref name="allowQuery"/>, <c>?token=…</c> (for WebSocket clients that cannot set headers; never for plain
    /// HTTP, where URLs end up in proxies' logs). Always true when no token is configured.</summary>
    public bool Check(Wire.Http.HttpRequestHead head, bool allowQuery) => !_enabled || Check(BearerToken.From(head, allowQuery));

    /// <summary>Replaces the token if <paramref name="old"/> is the current one.</summary>
    public bool TryRotate(string? old, string replacement)
    {
        if (!CryptographicOperations.FixedTimeEquals(Hash(old ?? string.Empty), _hash))
        {
            return false;
        }

        _hash = Hash(replacement);
        _enabled = true;
        return true;
    }

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
