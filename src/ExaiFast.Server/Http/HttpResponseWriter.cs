using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace ExaiFast.Server.Http;

/// <summary>Writes HTTP/1.1 responses: endpoint heads, errors, 100 Continue and the 101 upgrade.</summary>
internal static class HttpResponseWriter
{
    /// <summary>Writes status line, headers and body into <paramref name="output"/> (not flushed); returns bytes written.</summary>
    /// <remarks>
    /// <paramref name="headOnly"/> answers a HEAD: the headers GET would get, Content-Length included (RFC 9110 §9.3.2),
    /// and no body. Announcing 0 instead would tell a client GET's answer is empty.
    /// </remarks>
    public static int Write(PipeWriter output, int status, string contentType, ReadOnlySpan<byte> body, bool close, string? extraHeaders = null, bool headOnly = false)
    {
        var head = new StringBuilder(160)
            .Append("HTTP/1.1 ").Append(status).Append(' ').Append(ReasonPhrase(status)).Append("\r\n")
            .Append("Content-Type: ").Append(contentType).Append("\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n")
            .Append("Cache-Control: no-store\r\n");
        if (close)
        {
            head.Append("Connection: close\r\n");
        }

        if (extraHeaders is not null)
        {
            head.Append(extraHeaders);
        }

        head.Append("\r\n");
        int n = (int)Encoding.ASCII.GetBytes(head.ToString(), output);
        if (headOnly)
        {
            return n;
        }

        output.Write(body);
        return n + body.Length;
    }

    /// <summary>A plain-text error with a one-line reason.</summary>
    public static int WriteError(PipeWriter output, int status, string reason, string? extraHeaders = null, bool headOnly = false) =>
        Write(output, status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(reason + "\n"), close: true, extraHeaders, headOnly);

    /// <summary>The 101 response completing a WebSocket handshake (RFC 6455 §4.2.2); allocation-free but for the subprotocol.</summary>
    public static int WriteSwitchingProtocols(PipeWriter output, ReadOnlySpan<byte> acceptKey, string? subprotocol)
    {
        ReadOnlySpan<byte> start = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "u8;
        output.Write(start);
        output.Write(acceptKey);
        int n = start.Length + acceptKey.Length;
        if (subprotocol is not null)
        {
            ReadOnlySpan<byte> p = "\r\nSec-WebSocket-Protocol: "u8;
            output.Write(p);
            n += p.Length + (int)Encoding.ASCII.GetBytes(subprotocol, output);
        }

        output.Write("\r\n\r\n"u8);
        return n + 4;
    }

    /// <summary>
    /// Writes a status line and headers for an endpoint's response (not flushed); returns bytes written.
    /// <paramref name="contentLength"/> null means the chunked transfer coding (or, for HTTP/1.0, a body that ends at close).
    /// </summary>
    /// <remarks>
    /// Framing headers (Content-Length, Transfer-Encoding, Connection, Keep-Alive) are the layer's: an endpoint that
    /// passes one gets an exception rather than a second, conflicting framing. Names must be tokens and values free of
    /// CR, LF and NUL, so nothing an endpoint echoes can split the response.
    /// </remarks>
    public static int WriteHead(PipeWriter output, int status, string? contentType, long? contentLength, bool chunked, bool close, int keepAliveSeconds,
        IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        var head = new StringBuilder(256)
            .Append("HTTP/1.1 ").Append(status).Append(' ').Append(ReasonPhrase(status)).Append("\r\n");
        if (contentType is not null)
        {
            head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        }

        if (contentLength is long length)
        {
            head.Append("Content-Length: ").Append(length).Append("\r\n");
        }
        else if (chunked)
        {
            head.Append("Transfer-Encoding: chunked\r\n");
        }

        bool cacheControl = false;
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                CheckHeader(name, value);
                cacheControl |= string.Equals(name, "Cache-Control", StringComparison.OrdinalIgnoreCase);
                head.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        if (!cacheControl)
        {
            head.Append("Cache-Control: no-store\r\n");
        }

        if (close)
        {
            head.Append("Connection: close\r\n");
        }
        else if (keepAliveSeconds > 0)
        {
            head.Append("Keep-Alive: timeout=").Append(keepAliveSeconds).Append("\r\n");
        }

        head.Append("\r\n");
        return (int)Encoding.Latin1.GetBytes(head.ToString(), output);
    }

    /// <summary>The interim answer to <c>Expect: 100-continue</c> (RFC 9110 §10.1.1).</summary>
    public static int WriteContinue(PipeWriter output)
    {
        ReadOnlySpan<byte> line = "HTTP/1.1 100 Continue\r\n\r\n"u8;
        output.Write(line);
        return line.Length;
    }

    private static void CheckHeader(string name, string value)
    {
        if (name.Length == 0 || !name.All(IsTChar))
        {
            throw new ArgumentException($"'{name}' is not a valid header name", nameof(name));
        }

        if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0 || value.Any(c => c > 0xFF))
        {
            throw new ArgumentException($"the value of header '{name}' contains CR, LF, NUL or a non-Latin-1 character", nameof(value));
        }

        if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
            || name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{name}' is set by the HTTP layer, not by endpoints", nameof(name));
        }
    }

    private static bool IsTChar(char c) =>
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);

    private static string ReasonPhrase(int status) => status switch
    {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Unknown",
    };
}
