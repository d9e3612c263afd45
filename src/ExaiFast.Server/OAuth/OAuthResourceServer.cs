using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ExaiFast.Server.OAuth;

/// <summary>
/// The daemon as an OAuth 2.1 resource server (MCP authorization, RFC 9728, RFC 6750): checks a bearer access token — a
/// JWT signed by the issuer's keys (<see cref="IssuerKeys"/>), issued by the configured issuer for this resource, within
/// its lifetime, with the scopes required — and words the challenges of a refusal.
/// </summary>
/// <remarks>
/// Thread-safe. Only asymmetric signatures are accepted: an unsigned token (<c>alg: none</c>) or one signed with a shared
/// secret (<c>HS256</c>, where a public key could be misused as the secret) is refused before any key is looked at. The
/// token is never logged, echoed, or passed on (the providers get their own keys, never a client's credentials).
/// </remarks>
internal sealed class OAuthResourceServer : IDisposable
{
    /// <summary>Lifetimes are checked with this much leeway for clocks that disagree.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private static readonly string[] s_algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private readonly OAuthOptions _options;
    private readonly IssuerKeys _keys;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly string _scopeParameter;
    private readonly VerifiedTokens _verified;
    private Checking? _parameters;
    private long _signaturesChecked;

    /// <summary>Creates the resource server; nothing is fetched until the first token comes.</summary>
    /// <param name="options">The issuer, the audience and the scopes required (<see cref="OAuthOptions.Enabled"/>).</param>
    /// <param name="http">For the issuer's metadata and keys (its timeout bounds a fetch).</param>
    /// <param name="time">The clock of the key fetches' intervals (tokens' lifetimes are checked against the system clock).</param>
    /// <param name="logger">Where key fetches are told.</param>
    public OAuthResourceServer(OAuthOptions options, HttpClient http, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled || options.Audience.Length == 0)
        {
            throw new ArgumentException("an issuer and an audience are required", nameof(options));
        }

        _options = options;
        _keys = new IssuerKeys(options.Issuer, http, time, logger);
        _verified = new VerifiedTokens(TimeProvider.System); // the clock the handler checks lifetimes against
        MetadataUrl = ProtectedResourceMetadata.UrlFor(options.Audience);
        _scopeParameter = options.RequiredScopes.Count == 0 ? "" : $", scope=\"{string.Join(' ', options.RequiredScopes)}\"";
    }

    /// <summary>How many times a token's signature was checked: once per token (and key set) within its lifetime, however
    /// many requests present it.</summary>
    public long SignaturesChecked => Volatile.Read(ref _signaturesChecked);

    /// <summary>The options in force.</summary>
    public OAuthOptions Options => _options;

    /// <summary>Where the protected resource metadata is (the <c>resource_metadata</c> of every challenge).</summary>
    public string MetadataUrl { get; }

    /// <summary>The refusal of a request that presented no bearer token (a client's first, unauthenticated request).</summary>
    public AccessRefusal MissingToken() =>
        new(401, "Unauthorized: this server requires an OAuth access token (Authorization: Bearer <token>); see " + MetadataUrl,
            $"WWW-Authenticate: Bearer resource_metadata=\"{MetadataUrl}\"{_scopeParameter}\r\n");

    /// <summary>Checks <paramref name="token"/>: null when it is good, else the refusal to answer with.</summary>
    public async ValueTask<AccessRefusal?> CheckAsync(string token)
    {
        var (check, why) = await ValidateAsync(token).ConfigureAwait(false);
        return check switch
        {
            TokenCheck.Valid => null,
            TokenCheck.InsufficientScope => new AccessRefusal(403, "Forbidden: " + why,
                $"WWW-Authenticate: Bearer error=\"insufficient_scope\"{_scopeParameter}, resource_metadata=\"{MetadataUrl}\", error_description=\"{why}\"\r\n"),
            TokenCheck.KeysUnavailable => new AccessRefusal(503, "Service Unavailable: " + why, "Retry-After: 5\r\n"),
            _ => new AccessRefusal(401, "Unauthorized: " + why,
                $"WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"{why}\", resource_metadata=\"{MetadataUrl}\"{_scopeParameter}\r\n"),
        };
    }

    /// <summary>What <paramref name="token"/> is, and why in a few words when it is not good (no piece of the token: it goes
    /// into a response header and body).</summary>
    internal async ValueTask<(TokenCheck Check, string Why)> ValidateAsync(string token)
    {
        // Found good before, not expired since, and the issuer's keys are still those it was checked with.
        if (_verified.Find(token, out string? verifiedKid) is { } verifiedWith
            && ReferenceEquals(verifiedWith, await _keys.GetAsync(verifiedKid).ConfigureAwait(false)))
        {
            return (TokenCheck.Valid, "");
        }

        if (!_handler.CanReadToken(token))
        {
            return (TokenCheck.Invalid, "the token is not a JWT");
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return (TokenCheck.Invalid, "the token is not a JWT");
        }

        if (jwt.IsEncrypted)
        {
            return (TokenCheck.Invalid, "encrypted tokens are not accepted");
        }

        if (Array.IndexOf(s_algorithms, jwt.Alg) < 0)
        {
            return (TokenCheck.Invalid, string.IsNullOrEmpty(jwt.Alg) || jwt.Alg == "none"
                ? "the token is not signed"
                : "the token's signature algorithm is not accepted (RS*, PS* or ES* only)");
        }

        string? kid = string.IsNullOrEmpty(jwt.Kid) ? null : jwt.Kid;
        var keys = await _keys.GetAsync(kid).ConfigureAwait(false);
        if (keys is null)
        {
            return (TokenCheck.KeysUnavailable, "the authorization server's signing keys cannot be fetched; try again shortly");
        }

        if (kid is not null && !keys.ById.ContainsKey(kid))
        {
            return (TokenCheck.Invalid, "the token is signed with a key the issuer does not publish");
        }

        Interlocked.Increment(ref _signaturesChecked);
        var result = await _handler.ValidateTokenAsync(jwt, ParametersFor(keys)).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (TokenCheck.Invalid, Why(result.Exception));
        }

        if (_options.RequiredScopes.Count > 0 && MissingScopes(jwt) is { } missing)
        {
            return (TokenCheck.InsufficientScope, "the token lacks the scope " + missing);
        }

        // Good until the moment the check above would refuse it (exp is required, so ValidTo is set).
        _verified.Add(token, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero) + ClockSkew, keys, kid);
        return (TokenCheck.Valid, "");
    }

    /// <summary>
    /// Who an access token this server admitted stands for: its <c>sub</c> (RFC 9068: the resource owner, or the client
    /// itself in a client-credentials grant); without one its <c>client_id</c>; without either, the token itself (hashed),
    /// so that nothing is shared with another token. Reads the claims without checking them: call it only for a token
    /// <see cref="CheckAsync"/> admitted.
    /// </summary>
    public static string PrincipalOf(string token)
    {
        var jwt = new JsonWebToken(token);
        if (jwt.TryGetPayloadValue<string>("sub", out var subject) && !string.IsNullOrEmpty(subject))
        {
            return "sub:" + subject;
        }

        if (jwt.TryGetPayloadValue<string>("client_id", out var client) && !string.IsNullOrEmpty(client))
        {
            return "client:" + client;
        }

        return "token:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
    }

    /// <inheritdoc />
    public void Dispose() => _keys.Dispose();

    // One set of parameters per key set: they are read-only while tokens are checked, and made again only when the keys change.
    private TokenValidationParameters ParametersFor(IssuerKeys.KeySet keys)
    {
        var cached = Volatile.Read(ref _parameters);
        if (cached is not null && ReferenceEquals(cached.Keys, keys))
        {
            return cached.Parameters;
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            IssuerSigningKeys = keys.Keys,
            ValidAlgorithms = s_algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = ClockSkew,
            // A kid the keys lack was refused above; a token without one is tried against every key.
            TryAllIssuerSigningKeys = true,
        };
        Volatile.Write(ref _parameters, new Checking(keys, parameters));
        return parameters;
    }

    private sealed record Checking(IssuerKeys.KeySet Keys, TokenValidationParameters Parameters);

    // The scope claim of RFC 9068 / RFC 8693 is one space-separated string; some issuers send "scp", as a string or an array
    // (each element a claim of its own here).
    private string? MissingScopes(JsonWebToken jwt)
    {
        var granted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in jwt.Claims)
        {
            if (claim.Type is "scope" or "scp")
            {
                granted.UnionWith(claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        var missing = _options.RequiredScopes.Where(s => !granted.Contains(s)).ToList();
        return missing.Count == 0 ? null : string.Join(' ', missing);
    }

    private static string Why(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNotYetValidException => "the token is not valid yet",
        SecurityTokenNoExpirationException => "the token has no expiry",
        SecurityTokenInvalidAudienceException => "the token is not for this resource (audience)",
        SecurityTokenInvalidIssuerException => "the token is not from the trusted issuer",
        SecurityTokenInvalidAlgorithmException => "the token's signature algorithm is not accepted",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature does not verify",
        SecurityTokenMalformedException or ArgumentException => "the token is malformed",
        _ => "the token is not valid",
    };
}
