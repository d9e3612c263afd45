using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace ExaiFast.Server.Http;

/// <summary>Writes small, complete HTTP/1.1 responses (status endpoints, errors, the 101 upgrade).</summary>
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

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    };
}
