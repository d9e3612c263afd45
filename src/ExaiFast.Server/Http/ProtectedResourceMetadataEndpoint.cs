using ExaiFast.Server.OAuth;

namespace ExaiFast.Server.Http;

/// <summary><c>GET /.well-known/oauth-protected-resource[/mcp]</c>: the protected resource metadata (RFC 9728), open to
/// anyone: it is how a client without a token learns where to get one.</summary>
internal sealed class ProtectedResourceMetadataEndpoint(byte[] document) : IHttpEndpoint
{
    private static readonly KeyValuePair<string, string>[] s_allow = [new("Allow", "GET, HEAD")];

    // Browser-based MCP clients (an inspector page) read it from another origin; it holds nothing secret.
    private static readonly KeyValuePair<string, string>[] s_headers =
    [
        new("Cache-Control", "max-age=300"),
        new("Access-Control-Allow-Origin", "*"),
        new("X-Content-Type-Options", "nosniff"),
    ];

    /// <summary>The document's endpoints by path, for resource server <paramref name="oauth"/>.</summary>
    public static IEnumerable<KeyValuePair<string, IHttpEndpoint>> For(OAuthResourceServer oauth)
    {
        var endpoint = new ProtectedResourceMetadataEndpoint(ProtectedResourceMetadata.Document(oauth.Options));
        return ProtectedResourceMetadata.Paths(oauth.Options.Audience).Select(p => new KeyValuePair<string, IHttpEndpoint>(p, endpoint));
    }

    public ValueTask HandleAsync(HttpExchange exchange)
    {
        if (exchange.Request.Method is not ("GET" or "HEAD"))
        {
            exchange.KeepAlive = false;
            return exchange.RespondAsync(405, "text/plain; charset=utf-8", "method not allowed\n"u8.ToArray(), s_allow);
        }

        return exchange.RespondAsync(200, "application/json", document, s_headers);
    }
}
