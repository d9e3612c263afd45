using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.OAuth;

/// <summary>
/// An OAuth authorization server of the test's own on 127.0.0.1 (OS-assigned port): serves its RFC 8414 metadata (or, with
/// <see cref="OpenIdOnly"/>, only the OpenID Connect one) and its JWKS over real HTTP/1.1, and signs access tokens with an
/// RSA key and an EC P-256 key of its own. JWTs are made here by hand (base64url of JSON, RS256 or ES256 with the BCL), not
/// with the library the daemon checks them with, so a bug there cannot hide in both.
/// </summary>
internal sealed class LocalIssuer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);
    private readonly List<(string Kid, AsymmetricAlgorithm Key)> _published = [];

    private LocalIssuer(bool openIdOnly)
    {
        OpenIdOnly = openIdOnly;
        _listener.Start();
        Issuer = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        Rsa = RSA.Create(2048);
        Ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Publish("rsa-1", Rsa);
        Publish("ec-1", Ec);
        _accepting = AcceptAsync();
    }

    /// <summary>The issuer identifier (no trailing slash), as its tokens' <c>iss</c> and its metadata say it.</summary>
    public string Issuer { get; }

    /// <summary>Serve the OpenID Connect metadata only (the daemon must fall back to it).</summary>
    public bool OpenIdOnly { get; }

    /// <summary>The <c>issuer</c> its metadata names, when not its own (a document that points at somebody else's keys).</summary>
    public string? NamedIssuer { get; set; }

    public RSA Rsa { get; }

    public ECDsa Ec { get; }

    /// <summary>The JWKS is served once this completes (a slow issuer); at once by default.</summary>
    public Task JwksHold { get; set; } = Task.CompletedTask;

    /// <summary>Requests for the JWKS so far.</summary>
    public int JwksFetches => _hits.GetValueOrDefault("/jwks.json");

    /// <summary>Requests for <paramref name="path"/> so far.</summary>
    public int Hits(string path) => _hits.GetValueOrDefault(path);

    public static LocalIssuer Start(bool openIdOnly = false) => new(openIdOnly);

    /// <summary>Adds a key to the JWKS (a rotation: tokens signed with it are good once the daemon has fetched it again).</summary>
    public void Publish(string kid, AsymmetricAlgorithm key)
    {
        lock (_published)
        {
            _published.Add((kid, key));
        }
    }

    /// <summary>The claims of a good token for <paramref name="audience"/>: this issuer, valid from a minute ago for ten minutes.</summary>
    public JsonObject Claims(string audience, string? scope = null)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["sub"] = "user-1", ["aud"] = audience, ["iat"] = now - 60, ["nbf"] = now - 60, ["exp"] = now + 600,
            ["client_id"] = "test-client", ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (scope is not null)
        {
            claims["scope"] = scope;
        }

        return claims;
    }

    /// <summary>A JWT of <paramref name="claims"/> signed with RS256 by <paramref name="key"/> (the issuer's RSA key if null) named <paramref name="kid"/>.</summary>
    public string SignRs256(JsonObject claims, string kid = "rsa-1", RSA? key = null)
    {
        string signingInput = Encode(new JsonObject { ["alg"] = "RS256", ["typ"] = "at+jwt", ["kid"] = kid }) + "." + Encode(claims);
        byte[] signature = (key ?? Rsa).SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>A JWT of <paramref name="claims"/> signed with ES256 (the raw r‖s form JWS uses) by the issuer's EC key.</summary>
    public string SignEs256(JsonObject claims)
    {
        string signingInput = Encode(new JsonObject { ["alg"] = "ES256", ["typ"] = "at+jwt", ["kid"] = "ec-1" }) + "." + Encode(claims);
        byte[] signature = Ec.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>An unsigned JWT (<c>alg: none</c>, empty signature), as RFC 7519 §6 shapes it.</summary>
    public static string Unsigned(JsonObject claims) =>
        Encode(new JsonObject { ["alg"] = "none", ["typ"] = "JWT" }) + "." + Encode(claims) + ".";

    /// <summary>A JWT signed with HS256 using <paramref name="secret"/> as the HMAC key (the key-confusion attack, with the
    /// issuer's public key as the secret).</summary>
    public static string SignHs256(JsonObject claims, byte[] secret, string kid = "rsa-1")
    {
        string signingInput = Encode(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = kid }) + "." + Encode(claims);
        return signingInput + "." + Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)));
    }

    public static string Encode(JsonNode json) => Base64Url(Encoding.UTF8.GetBytes(json.ToJsonString()));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Rsa.Dispose();
        Ec.Dispose();
        _stop.Dispose();
    }

    private string Jwks()
    {
        var keys = new JsonArray();
        lock (_published)
        {
            foreach (var (kid, key) in _published)
            {
                keys.Add(key switch
                {
                    RSA rsa => RsaJwk(kid, rsa.ExportParameters(false)),
                    ECDsa ec => EcJwk(kid, ec.ExportParameters(false)),
                    _ => throw new InvalidOperationException("unknown key type"),
                });
            }
        }

        return new JsonObject { ["keys"] = keys }.ToJsonString();

        static JsonObject RsaJwk(string kid, RSAParameters p) => new()
        {
            ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = kid, ["n"] = Base64Url(p.Modulus!), ["e"] = Base64Url(p.Exponent!),
        };

        static JsonObject EcJwk(string kid, ECParameters p) => new()
        {
            ["kty"] = "EC", ["use"] = "sig", ["alg"] = "ES256", ["crv"] = "P-256", ["kid"] = kid, ["x"] = Base64Url(p.Q.X!), ["y"] = Base64Url(p.Q.Y!),
        };
    }

    private string Metadata() => new JsonObject
    {
        ["issuer"] = NamedIssuer ?? Issuer,
        ["authorization_endpoint"] = Issuer + "/authorize",
        ["token_endpoint"] = Issuer + "/token",
        ["jwks_uri"] = Issuer + "/jwks.json",
        ["response_types_supported"] = new JsonArray("code"),
        ["code_challenge_methods_supported"] = new JsonArray("S256"),
    }.ToJsonString();

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                connections.Add(ServeAsync(socket));
            }
        }
        finally
        {
            await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    // One request per connection (Connection: close), which is all a key fetch needs.
    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        await using (var stream = new NetworkStream(socket, ownsSocket: false))
        {
            try
            {
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    int n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }

                string[] requestLine = head.ToString().Split("\r\n")[0].Split(' ');
                string path = requestLine.Length > 1 ? requestLine[1] : "";
                _hits.AddOrUpdate(path, 1, static (_, n) => n + 1);
                if (path == "/jwks.json")
                {
                    await JwksHold.WaitAsync(_stop.Token);
                }

                string? body = path switch
                {
                    "/.well-known/oauth-authorization-server" when !OpenIdOnly => Metadata(),
                    "/.well-known/openid-configuration" => Metadata(),
                    "/jwks.json" => Jwks(),
                    _ => null,
                };
                byte[] content = Encoding.UTF8.GetBytes(body ?? "not found");
                string status = body is null ? "404 Not Found" : "200 OK";
                string type = body is null ? "text/plain" : "application/json";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
                await stream.WriteAsync(content, _stop.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // the daemon went away mid-request, or the issuer is stopping
            }
        }
    }
}
