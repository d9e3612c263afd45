namespace ExaiFast.Server.Mcp;

/// <summary>
/// The MCP headers of a Streamable HTTP POST, which a modern request must make agree with its body (spec 2026-07-28
/// <c>basic/transports/streamable-http.mdx</c>, #request-metadata and #server-validation): checked by
/// <see cref="McpProtocol"/> once it has parsed the body, so that a refusal echoes the request's id.
/// </summary>
/// <param name="Version"><c>MCP-Protocol-Version</c>, or null.</param>
/// <param name="Method"><c>Mcp-Method</c>, or null.</param>
/// <param name="Name"><c>Mcp-Name</c>, or null.</param>
internal readonly record struct McpHttpEnvelope(string? Version, string? Method, string? Name)
{
    /// <summary>The header a modern request names its revision in.</summary>
    public const string VersionHeader = "MCP-Protocol-Version";

    /// <summary>The header a modern request repeats its method in.</summary>
    public const string MethodHeader = "Mcp-Method";

    /// <summary>The header a modern request repeats its target in (<c>params.name</c> or <c>params.uri</c>).</summary>
    public const string NameHeader = "Mcp-Name";

    /// <summary>Whether the POST is of the modern era: its header names a modern revision.</summary>
    public bool IsModern => McpRevisions.IsModern(Version);

    private const string Base64Prefix = "=?base64?";
    private const string Base64Suffix = "?=";
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A header value without the optional whitespace around it (RFC 9110 OWS: spaces and tabs), which a
    /// comparison with the body ignores.</summary>
    public static string TrimValue(string value) => value.Trim(' ', '\t');

    /// <summary>Whether a header value holds only what a header may carry: visible ASCII, spaces and tabs.</summary>
    public static bool IsValidValue(string value)
    {
        foreach (char c in value)
        {
            if (c is not ('\t' or (>= ' ' and <= '~')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The value a header stands for: itself, or, in the exact lowercase wrapper <c>=?base64?…?=</c> that carries
    /// non-ASCII text (SEP-2243; the C# SDK's <c>McpHeaderEncoder.DecodeValue</c>), the UTF-8 text its base64 encodes;
    /// null when the wrapped part is not base64 of UTF-8.
    /// </summary>
    public static string? DecodeValue(string value)
    {
        if (value.Length < Base64Prefix.Length + Base64Suffix.Length
            || !value.StartsWith(Base64Prefix, StringComparison.Ordinal) || !value.EndsWith(Base64Suffix, StringComparison.Ordinal))
        {
            return value;
        }

        try
        {
            return StrictUtf8.GetString(Convert.FromBase64String(value[Base64Prefix.Length..^Base64Suffix.Length]));
        }
        catch (FormatException)
        {
            return null;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }
}
