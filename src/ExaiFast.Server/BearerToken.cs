using ExaiFast.Wire.Http;

namespace ExaiFast.Server;

/// <summary>Finds the token a request presents. Never logs or echoes it.</summary>
internal static class BearerToken
{
    /// <summary><c>Authorization: Bearer …</c> (RFC 6750 §2.1), else (when <paramref name="allowQuery"/>) the query's
    /// <c>token</c> (§2.3, for WebSocket clients that cannot set headers), else null.</summary>
    public static string? From(HttpRequestHead head, bool allowQuery)
    {
        if (head["Authorization"] is { } authorization)
        {
            var value = authorization.AsSpan().Trim();
            return value.Length > 7 && value[..7].Equals("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim().ToString() : null;
        }

        if (!allowQuery)
        {
            return null;
        }

        foreach (var part in head.Query.Split('&'))
        {
            if (part.StartsWith("token=", StringComparison.Ordinal))
            {
                try
                {
                    return Uri.UnescapeDataString(part[6..].Replace('+', ' '));
                }
                catch (UriFormatException)
                {
                    return null;
                }
            }
        }

        return null;
    }
}
