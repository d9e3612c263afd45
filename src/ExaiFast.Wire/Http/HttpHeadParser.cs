using System.Buffers;
using System.Text;

namespace ExaiFast.Wire.Http;

/// <summary>Finds and parses HTTP/1.1 request heads (RFC 9112 §2–5), strictly: CRLF line ends, no obs-fold.</summary>
public static class HttpHeadParser
{
    /// <summary>The default head size limit; larger heads get 431.</summary>
    public const int DefaultMaxHeadBytes = 8 * 1024;

    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteColon = (byte)':';
    private const byte ByteSpace = (byte)' ';
    private const byte ByteTab = (byte)'\t';

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>
    /// Looks for a complete head at the start of <paramref name="buffer"/> and parses it.
    /// </summary>
    /// <param name="buffer">Received bytes.</param>
    /// <param name="maxHeadBytes">Limit for the head including its blank line.</param>
    /// <param name="head">The parsed head when <see cref="HttpHeadStatus.Done"/>.</param>
    /// <param name="consumed">The position just past the head (Done), or the end of what was examined.</param>
    /// <param name="error">A short reason when <see cref="HttpHeadStatus.BadRequest"/>.</param>
    public static HttpHeadStatus TryParse(in ReadOnlySequence<byte> buffer, int maxHeadBytes, out HttpRequestHead? head, out SequencePosition consumed, out string? error)
    {
        head = null;
        error = null;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> headBytes, HeadEnd, advancePastDelimiter: true))
        {
            consumed = buffer.End;
            return buffer.Length > maxHeadBytes ? HttpHeadStatus.TooLarge : HttpHeadStatus.Incomplete;
        }

        consumed = reader.Position;
        if (headBytes.Length + HeadEnd.Length > maxHeadBytes)
        {
            return HttpHeadStatus.TooLarge;
        }

        if (headBytes.IsSingleSegment)
        {
            return Parse(headBytes.FirstSpan, out head, out error);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent((int)headBytes.Length);
        try
        {
            headBytes.CopyTo(rented);
            return Parse(rented.AsSpan(0, (int)headBytes.Length), out head, out error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Parses a head without its final blank line (request line, then header lines separated by CRLF).</summary>
    public static HttpHeadStatus Parse(ReadOnlySpan<byte> head, out HttpRequestHead? result, out string? error)
    {
        result = null;
        error = null;
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> requestLine = lineEnd < 0 ? head : head[..lineEnd];
        ReadOnlySpan<byte> rest = lineEnd < 0 ? default : head[(lineEnd + 2)..];

        // request-line = method SP request-target SP HTTP-version
        int sp1 = requestLine.IndexOf(ByteSpace);
        int sp2 = sp1 < 0 ? -1 : requestLine[(sp1 + 1)..].IndexOf(ByteSpace);
        if (sp1 <= 0 || sp2 <= 0)
        {
            error = "malformed request line";
            return HttpHeadStatus.BadRequest;
        }

        ReadOnlySpan<byte> method = requestLine[..sp1];
        ReadOnlySpan<byte> target = requestLine.Slice(sp1 + 1, sp2);
        ReadOnlySpan<byte> version = requestLine[(sp1 + sp2 + 2)..];
        if (!IsToken(method) || target.IsEmpty || target[0] != (byte)'/' || !IsVisible(target))
        {
            error = "malformed request line";
            return HttpHeadStatus.BadRequest;
        }

        int minor;
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            minor = 1;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            minor = 0;
        }
        else
        {
            error = "unsupported HTTP version";
            return HttpHeadStatus.BadRequest;
        }

        var headers = new List<KeyValuePair<string, string>>(12);
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 2)..];

            int colon = line.IndexOf(ByteColon);
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                // Also rejects obs-fold (a line starting with SP/HTAB) and whitespace before the colon (RFC 9112 §5.1).
                error = "malformed header field";
                return HttpHeadStatus.BadRequest;
            }

            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
            if (value.IndexOfAny(ByteCR, ByteLF, (byte)0) >= 0)
            {
                error = "malformed header field";
                return HttpHeadStatus.BadRequest;
            }

            headers.Add(new(Encoding.ASCII.GetString(line[..colon]), Encoding.Latin1.GetString(value)));
        }

        result = new HttpRequestHead(Encoding.ASCII.GetString(method), Encoding.ASCII.GetString(target), minor, headers);
        return HttpHeadStatus.Done;
    }

    // token = 1*tchar (RFC 9110 §5.6.2)
    private static bool IsToken(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty)
        {
            return false;
        }

        foreach (byte b in s)
        {
            bool ok = (b >= (byte)'a' && b <= (byte)'z') || (b >= (byte)'A' && b <= (byte)'Z') || (b >= (byte)'0' && b <= (byte)'9')
                || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsVisible(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            if (b <= ByteSpace || b == 0x7F || b == ByteTab)
            {
                return false;
            }
        }

        return true;
    }
}
