namespace ExaiFast.Wire.Http;

/// <summary>A parsed HTTP/1.1 request line and header fields.</summary>
/// <remarks>One is allocated per request head, never per frame. Immutable once parsed; safe to share.</remarks>
public sealed class HttpRequestHead
{
    private readonly List<KeyValuePair<string, string>> _headers;

    internal HttpRequestHead(string method, string target, int minorVersion, List<KeyValuePair<string, string>> headers)
    {
        Method = method;
        Target = target;
        int q = target.IndexOf('?', StringComparison.Ordinal);
        Path = q < 0 ? target : target[..q];
        Query = q < 0 ? string.Empty : target[(q + 1)..];
        MinorVersion = minorVersion;
        _headers = headers;
    }

    /// <summary>The request method, e.g. <c>GET</c>.</summary>
    public string Method { get; }

    /// <summary>The request target as sent (path and query).</summary>
    public string Target { get; }

    /// <summary>The path part of <see cref="Target"/>.</summary>
    public string Path { get; }

    /// <summary>The query without the leading <c>?</c>, or empty.</summary>
    public string Query { get; }

    /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
    public int MinorVersion { get; }

    /// <summary>All header fields in arrival order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>The value of the named header (case-insensitive); repeated fields are joined with ", ".</summary>
    public string? this[string name]
    {
        get
        {
            string? value = null;
            foreach (var (key, v) in _headers)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = value is null ? v : value + ", " + v;
                }
            }

            return value;
        }
    }

    /// <summary>Whether the comma-separated header <paramref name="name"/> contains <paramref name="token"/> (case-insensitive).</summary>
    public bool HeaderContainsToken(string name, string token)
    {
        foreach (var (key, v) in _headers)
        {
            if (!string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var part in v.AsSpan().Split(','))
            {
                if (v.AsSpan()[part].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether the connection should stay open after the response (HTTP/1.1 default, unless <c>Connection: close</c>).</summary>
    public bool KeepAlive => MinorVersion == 1 ? !HeaderContainsToken("Connection", "close") : HeaderContainsToken("Connection", "keep-alive");
}
