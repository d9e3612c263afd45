namespace ExaiFast.Server.OAuth;

/// <summary>
/// The OAuth 2.1 resource-server mode (<c>EXAIFAST_OAUTH_*</c>): which authorization server issues the access tokens the
/// daemon accepts, the resource identifier they must name as their audience, and the scopes they must carry.
/// </summary>
internal sealed record OAuthOptions
{
    /// <summary>The issuer identifier (<c>EXAIFAST_OAUTH_ISSUER</c>), exactly as its tokens' <c>iss</c> and its metadata's
    /// <c>issuer</c> say it; empty: the mode is off.</summary>
    public string Issuer { get; init; } = "";

    /// <summary>The resource identifier (<c>EXAIFAST_OAUTH_AUDIENCE</c>): the canonical URL clients reach <c>/mcp</c> at,
    /// which every token's <c>aud</c> must contain (RFC 8707).</summary>
    public string Audience { get; init; } = "";

    /// <summary>Scopes every token must carry (<c>EXAIFAST_OAUTH_REQUIRED_SCOPES</c>); none: any scope will do.</summary>
    public IReadOnlyList<string> RequiredScopes { get; init; } = [];

    /// <summary>Whether the mode is on.</summary>
    public bool Enabled => Issuer.Length > 0;

    /// <summary>Whether <paramref name="value"/> may name an issuer or a resource: an absolute https URL without query or
    /// fragment, or an http one on a loopback host (a test's own issuer, a proxy on the same machine).</summary>
    public static bool IsAllowedUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));

    /// <summary>Whether <paramref name="scope"/> is one scope token of RFC 6749 §3.3 (printable ASCII but space, <c>"</c> and <c>\</c>),
    /// which a <c>WWW-Authenticate</c> quoted string carries unescaped.</summary>
    public static bool IsScopeToken(string scope) =>
        scope.Length > 0 && scope.All(c => c is (>= '\x21' and <= '\x7e') and not ('"' or '\\'));

    /// <summary>The scopes in <paramref name="list"/>, separated by spaces or commas.</summary>
    public static string[] Scopes(string list) => list.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
