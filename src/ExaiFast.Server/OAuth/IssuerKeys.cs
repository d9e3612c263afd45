using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace ExaiFast.Server.OAuth;

/// <summary>
/// The issuer's signing keys: found through its metadata (RFC 8414 <c>/.well-known/oauth-authorization-server</c>, else
/// OpenID Connect <c>/.well-known/openid-configuration</c>), fetched from its <c>jwks_uri</c> when the first token comes,
/// and kept. They are fetched again when a token names a key they lack (the issuer rotated its keys), at most once a
/// minute — a stream of tokens with made-up <c>kid</c>s cannot make the daemon hammer the issuer — and when they are an
/// hour old (a key the issuer withdrew stops working).
/// </summary>
/// <remarks>Thread-safe: readers take the current set without a lock; one fetch runs at a time. A failed fetch keeps the
/// keys already held (an issuer down for a while does not lock everybody out).</remarks>
internal sealed partial class IssuerKeys : IDisposable
{
    private static readonly TimeSpan MinRefetchInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);
    // With no keys at all nothing can be checked; the first fetch is retried sooner than a refetch.
    private static readonly TimeSpan MinRetryWithoutKeys = TimeSpan.FromSeconds(5);

    private readonly string _issuer;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private volatile KeySet? _current;
    private long _lastAttempt = long.MinValue; // TimeProvider timestamps of the last fetch started,
    private long _lastForKid = long.MinValue; // and of the last one a token's unknown kid started

    public IssuerKeys(string issuer, HttpClient http, TimeProvider time, ILogger logger)
    {
        _issuer = issuer;
        _http = http;
        _time = time;
        _logger = logger;
    }

    /// <summary>The keys to check a token whose header names <paramref name="kid"/> (null: none named), fetching them
    /// first when they lack it or are old and a fetch is allowed; null while none could ever be fetched.</summary>
    public async ValueTask<KeySet?> GetAsync(string? kid)
    {
        var current = _current;
        if (current is not null && !NeedsFetch(current, kid))
        {
            return current;
        }

        if (!FetchAllowed(current, kid))
        {
            return current;
        }

        await _fetching.WaitAsync().ConfigureAwait(false);
        try
        {
            current = _current; // another request may have fetched them meanwhile
            if ((current is not null && !NeedsFetch(current, kid)) || !FetchAllowed(current, kid))
            {
                return current;
            }

            long now = _time.GetTimestamp();
            Volatile.Write(ref _lastAttempt, now);
            if (current is not null && kid is not null && !current.ById.ContainsKey(kid))
            {
                Volatile.Write(ref _lastForKid, now);
            }
            try
            {
                var fetched = await FetchAsync().ConfigureAwait(false);
                _current = fetched;
                Log.KeysFetched(_logger, fetched.Keys.Count, _issuer);
                return fetched;
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or ArgumentException or InvalidDataException or TaskCanceledException)
            {
                Log.KeysUnavailable(_logger, _issuer, ex.GetType().Name, ex.Message);
                return current;
            }
        }
        finally
        {
            _fetching.Release();
        }
    }

    public void Dispose() => _fetching.Dispose();

    private bool NeedsFetch(KeySet keys, string? kid) =>
        (kid is not null && !keys.ById.ContainsKey(kid)) || _time.GetElapsedTime(keys.FetchedAt) > MaxAge;

    // Without keys: the first fetch, or a retry a few seconds after a failed one. With keys: an unknown kid once a minute,
    // counted from the last fetch a kid started (a rotation just after the first fetch is picked up at once); old keys
    // once a minute, counted from any fetch (an issuer down for a while is not asked on every request).
    private bool FetchAllowed(KeySet? current, string? kid)
    {
        if (current is null)
        {
            return Elapsed(Volatile.Read(ref _lastAttempt)) >= MinRetryWithoutKeys;
        }

        return kid is not null && !current.ById.ContainsKey(kid) ? Elapsed(Volatile.Read(ref _lastForKid)) >= MinRefetchInterval : Elapsed(Volatile.Read(ref _lastAttempt)) >= MinRefetchInterval;
    }

    private TimeSpan Elapsed(long since) => since == long.MinValue ? TimeSpan.MaxValue : _time.GetElapsedTime(since);

    private async Task<KeySet> FetchAsync()
    {
        var jwksUri = await FindJwksUriAsync().ConfigureAwait(false);
        using var response = await _http.GetAsync(jwksUri).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidDataException($"{jwksUri} answered {(int)response.StatusCode}");
        }

        string json = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        var set = new JsonWebKeySet(json); // its own Utf8JsonReader parser: no reflection
        var keys = set.GetSigningKeys();
        if (keys.Count == 0)
        {
            throw new InvalidDataException($"{jwksUri} holds no signing key");
        }

        var byId = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (key.KeyId is { } id)
            {
                byId.TryAdd(id, key);
            }
        }

        return new KeySet(keys, byId, _time.GetTimestamp());
    }

    // RFC 8414 §3 inserts the well-known suffix between the host and the issuer's path; OpenID Connect Discovery appends it
    // to the issuer (and some servers answer the inserted form too): the order the MCP specification gives clients.
    private async Task<Uri> FindJwksUriAsync()
    {
        var issuer = new Uri(_issuer);
        string path = issuer.AbsolutePath.TrimEnd('/');
        string root = issuer.GetLeftPart(UriPartial.Authority);
        Uri[] candidates =
        [
            new(root + "/.well-known/oauth-authorization-server" + path),
            new(root + "/.well-known/openid-configuration" + path),
            .. path.Length > 0 ? [new Uri(root + path + "/.well-known/openid-configuration")] : Array.Empty<Uri>(),
        ];

        foreach (var url in candidates)
        {
            using var response = await _http.GetAsync(url).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                continue; // most issuers serve one of the forms only
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false));
            var root2 = document.RootElement;
            // RFC 8414 §3.3: metadata that names another issuer must not be used (it could point at anybody's keys).
            if (root2.ValueKind != JsonValueKind.Object || !root2.TryGetProperty("issuer"u8, out var named) || named.ValueKind != JsonValueKind.String
                || named.GetString() != _issuer)
            {
                throw new InvalidDataException($"{url} is not the metadata of issuer {_issuer} (its 'issuer' differs)");
            }

            if (!root2.TryGetProperty("jwks_uri"u8, out var jwks) || jwks.ValueKind != JsonValueKind.String || !OAuthOptions.IsAllowedUrl(jwks.GetString()!))
            {
                throw new InvalidDataException($"{url} names no usable jwks_uri (an https URL, or http on a loopback host)");
            }

            return new Uri(jwks.GetString()!);
        }

        throw new InvalidDataException($"issuer {_issuer} serves no metadata at {string.Join(", ", candidates.Select(c => c.ToString()))}");
    }

    /// <summary>One fetched key set.</summary>
    internal sealed record KeySet(IList<SecurityKey> Keys, Dictionary<string, SecurityKey> ById, long FetchedAt);

    private static partial class Log
    {
        [LoggerMessage(600, LogLevel.Information, "Fetched {Count} signing keys of OAuth issuer {Issuer}")]
        public static partial void KeysFetched(ILogger logger, int count, string issuer);

        [LoggerMessage(601, LogLevel.Warning, "The signing keys of OAuth issuer {Issuer} could not be fetched ({Error}: {Message}); tokens cannot be checked until they are")]
        public static partial void KeysUnavailable(ILogger logger, string issuer, string error, string message);
    }
}
