using System.Globalization;

namespace ExaiFast.Wire.Http;

/// <summary>
/// What a request head says about its body: its kind and declared length, or the status that refuses it. Strict on
/// purpose: every ambiguity a proxy in front of us could read differently is a request-smuggling vector (RFC 9112 §6.3,
/// §11.2), so it is refused with 400 and the connection closes.
/// </summary>
/// <param name="Kind">How the body is delimited when <paramref name="Status"/> is 0.</param>
/// <param name="Length">The declared length (<see cref="HttpBodyKind.ContentLength"/>), else 0.</param>
/// <param name="Status">0 when the body can be read; else the HTTP status to answer (400, 411, 501).</param>
/// <param name="Error">A short reason when <paramref name="Status"/> is not 0.</param>
public readonly record struct HttpBodyFraming(HttpBodyKind Kind, long Length, int Status, string? Error)
{
    /// <summary>Whether the body can be read.</summary>
    public bool IsValid => Status == 0;

    /// <summary>Reads <c>Content-Length</c> and <c>Transfer-Encoding</c> of <paramref name="head"/>.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>Both present: 400 (§6.3 rule 3; a proxy might use the other one).</item>
    /// <item><c>Transfer-Encoding</c> in HTTP/1.0: 400 (§6.1: the framing is faulty).</item>
    /// <item>A coding other than <c>chunked</c>: 501 (§6.1: "a transfer coding it does not understand"); <c>chunked</c>
    /// not last, or twice: 400 (§6.3 rule 4, §7).</item>
    /// <item><c>Content-Length</c> not 1*DIGIT, or too large for a long, or several different values: 400 (§6.3 rule 5).
    /// Repeats of one value (<c>42, 42</c>) are one length, as §6.3 allows.</item>
    /// <item>Neither, for POST, PUT or PATCH: 411; for other methods: no body.</item>
    /// </list>
    /// </remarks>
    public static HttpBodyFraming From(HttpRequestHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        bool hasLength = false;
        bool hasCoding = false;
        long length = -1;
        int chunked = 0;
        bool chunkedLast = false;
        bool unknownCoding = false;
        foreach (var (name, value) in head.Headers)
        {
            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                hasLength = true;
                foreach (var range in value.AsSpan().Split(','))
                {
                    var part = value.AsSpan()[range].Trim(" \t");
                    if (!TryParseLength(part, out long n))
                    {
                        return Bad(400, "invalid Content-Length");
                    }

                    if (length >= 0 && n != length)
                    {
                        return Bad(400, "conflicting Content-Length values");
                    }

                    length = n;
                }
            }
            else if (string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var range in value.AsSpan().Split(','))
                {
                    var coding = value.AsSpan()[range].Trim(" \t");
                    if (coding.IsEmpty)
                    {
                        continue; // empty list elements are allowed (RFC 9110 §5.6.1)
                    }

                    hasCoding = true;
                    chunkedLast = coding.Equals("chunked", StringComparison.OrdinalIgnoreCase);
                    if (chunkedLast)
                    {
                        chunked++;
                    }
                    else
                    {
                        unknownCoding = true;
                    }
                }

                if (value.AsSpan().Trim(" \t").IsEmpty)
                {
                    return Bad(400, "empty Transfer-Encoding");
                }
            }
        }

        if (hasLength && hasCoding)
        {
            return Bad(400, "both Content-Length and Transfer-Encoding");
        }

        if (hasCoding)
        {
            if (head.MinorVersion == 0)
            {
                return Bad(400, "Transfer-Encoding in an HTTP/1.0 request");
            }

            if (unknownCoding)
            {
                return Bad(501, "unsupported transfer coding (only chunked is)");
            }

            return chunked == 1 && chunkedLast ? new(HttpBodyKind.Chunked, 0, 0, null) : Bad(400, "chunked must be applied once, last");
        }

        if (hasLength)
        {
            return length == 0 ? default : new(HttpBodyKind.ContentLength, length, 0, null);
        }

        return head.Method is "POST" or "PUT" or "PATCH" ? Bad(411, "length required") : default;
    }

    private static HttpBodyFraming Bad(int status, string error) => new(HttpBodyKind.None, 0, status, error);

    // Content-Length = 1*DIGIT: no sign, no spaces inside, no hex; at most 18 digits so it fits a long.
    private static bool TryParseLength(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
