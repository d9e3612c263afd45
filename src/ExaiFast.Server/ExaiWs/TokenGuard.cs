using System.Security.Cryptography;
using System.Text;

namespace ExaiFast.Server.ExaiWs;

/// <summary>The shared token: constant-time checks (ROADMAP item 7) and rotation. Thread-safe.</summary>
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
