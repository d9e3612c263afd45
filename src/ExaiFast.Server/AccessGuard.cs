using ExaiFast.Server.OAuth;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server;

/// <summary>
/// What every door asks before it serves a client: the daemon's token (<see cref="TokenGuard"/>, <c>EXAI_WS_TOKEN</c>)
/// and, in OAuth mode (<c>EXAIFAST_OAUTH_ISSUER</c>), an access token from the issuer (<see cref="OAuthResourceServer"/>).
/// Either one admits: the daemon's token is the operator's own credential for this very daemon (the stdio bridge and
/// exai-ws clients speak no OAuth), and leaving <c>EXAI_WS_TOKEN</c> empty makes OAuth the only way in.
/// </summary>
/// <remarks>Thread-safe. An access token is read from the <c>Authorization</c> header only (MCP forbids it in a URL);
/// <c>?token=</c> can carry the daemon's token alone, as before.</remarks>
internal sealed class AccessGuard
{
    private static readonly AccessRefusal s_tokenRefusal = new(401, "Unauthorized: this daemon requires its token (Authorization: Bearer <token>)",
        "WWW-Authenticate: Bearer realm=\"exaifast\"\r\n");

    /// <summary>Guards with <paramref name="tokens"/> and, when not null, <paramref name="oauth"/>.</summary>
    public AccessGuard(TokenGuard tokens, OAuthResourceServer? oauth = null)
    {
        Tokens = tokens;
        OAuth = oauth;
    }

    /// <summary>The daemon's token.</summary>
    public TokenGuard Tokens { get; }

    /// <summary>The OAuth resource server, or null when the mode is off.</summary>
    public OAuthResourceServer? OAuth { get; }

    /// <summary>Whether anything is required at all.</summary>
    public bool Enabled => Tokens.Enabled || OAuth is not null;

    /// <summary>Checks a request head: null admits it, else the refusal to answer with (401, 403, or 503 while the issuer's
    /// keys cannot be had). <paramref name="allowQuery"/> lets <c>?token=</c> carry the daemon's token (WebSocket upgrades).</summary>
    public ValueTask<AccessRefusal?> CheckAsync(HttpRequestHead head, bool allowQuery)
    {
        if (!Enabled)
        {
            return ValueTask.FromResult<AccessRefusal?>(null);
        }

        if (OAuth is null)
        {
            return ValueTask.FromResult(Tokens.Check(head, allowQuery) ? null : s_tokenRefusal);
        }

        string? bearer = BearerToken.From(head, allowQuery: false);
        if (Tokens.Enabled && (Tokens.Check(bearer) || (allowQuery && bearer is null && Tokens.Check(BearerToken.From(head, allowQuery: true)))))
        {
            return ValueTask.FromResult<AccessRefusal?>(null);
        }

        return bearer is null ? ValueTask.FromResult<AccessRefusal?>(OAuth.MissingToken()) : OAuth.CheckAsync(bearer);
    }

    /// <summary>
    /// Who a request head that <see cref="CheckAsync(HttpRequestHead, bool)"/> admitted acts for: in OAuth mode the access
    /// token's subject (<see cref="OAuthResourceServer.PrincipalOf"/>); null without OAuth and for the daemon's own token
    /// (the operator's). Reads, never checks: call it only for an admitted head.
    /// </summary>
    public string? PrincipalOf(HttpRequestHead head)
    {
        if (OAuth is null || BearerToken.From(head, allowQuery: false) is not { } bearer || (Tokens.Enabled && Tokens.Check(bearer)))
        {
            return null;
        }

        return OAuthResourceServer.PrincipalOf(bearer);
    }

    /// <summary>Whether <paramref name="token"/> (an exai-ws hello's) admits its sender: the daemon's token, or in OAuth
    /// mode a valid access token with the scopes required.</summary>
    public async ValueTask<bool> CheckAsync(string? token)
    {
        if (!Enabled || (Tokens.Enabled && Tokens.Check(token)))
        {
            return true;
        }

        return OAuth is not null && !string.IsNullOrEmpty(token) && await OAuth.CheckAsync(token).ConfigureAwait(false) is null;
    }
}
