using System.Buffers;
using System.Text.Json;

namespace ExaiFast.Server.OAuth;

/// <summary>The OAuth 2.0 Protected Resource Metadata document (RFC 9728) of the daemon, and where it is served.</summary>
internal static class ProtectedResourceMetadata
{
    /// <summary>The well-known path prefix of RFC 9728 §3.</summary>
    public const string WellKnown = "/.well-known/oauth-protected-resource";

    /// <summary>The document's URL for resource <paramref name="audience"/>: the well-known suffix inserted between its
    /// host and its path (RFC 9728 §3.1), <c>https://host/mcp</c> giving <c>https://host/.well-known/oauth-protected-resource/mcp</c>.</summary>
    public static string UrlFor(string audience)
    {
        var uri = new Uri(audience);
        return uri.GetLeftPart(UriPartial.Authority) + WellKnown + uri.AbsolutePath.TrimEnd('/');
    }

    /// <summary>The paths the daemon serves the document at: the root form, the form for its own <c>/mcp</c>, and the form
    /// for the audience's path (what a proxy that forwards the path as it is sends on).</summary>
    public static IReadOnlyList<string> Paths(string audience) =>
        new[] { WellKnown, WellKnown + "/mcp", WellKnown + new Uri(audience).AbsolutePath.TrimEnd('/') }.Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The document: <c>resource</c>, <c>authorization_servers</c>, <c>bearer_methods_supported</c> (the
    /// header alone: MCP forbids tokens in the query) and, when scopes are required, <c>scopes_supported</c>.</summary>
    public static byte[] Document(OAuthOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("resource"u8, options.Audience);
            json.WriteStartArray("authorization_servers"u8);
            json.WriteStringValue(options.Issuer);
            json.WriteEndArray();
            json.WriteStartArray("bearer_methods_supported"u8);
            json.WriteStringValue("header"u8);
            json.WriteEndArray();
            if (options.RequiredScopes.Count > 0)
            {
                json.WriteStartArray("scopes_supported"u8);
                foreach (string scope in options.RequiredScopes)
                {
                    json.WriteStringValue(scope);
                }

                json.WriteEndArray();
            }

            json.WriteString("resource_name"u8, "ExaiFast");
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
