using System.Buffers.Text;
using System.Security.Cryptography;
using ExaiFast.Wire.Http;

namespace ExaiFast.Wire;

/// <summary>The server side of the RFC 6455 §4.2 opening handshake: validation and the accept key.</summary>
public static class WebSocketHandshake
{
    /// <summary>Length of the base64 <c>Sec-WebSocket-Accept</c> value.</summary>
    public const int AcceptKeyLength = 28;

    private static ReadOnlySpan<byte> Guid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>Whether the request asks for a WebSocket upgrade at all (an <c>Upgrade: websocket</c> header).</summary>
    public static bool IsUpgradeRequest(HttpRequestHead head) => head.HeaderContainsToken("Upgrade", "websocket");

    /// <summary>
    /// Checks an upgrade request. Returns null when it is acceptable, else the HTTP status to reply with and a reason.
    /// </summary>
    /// <param name="head">The request head.</param>
    /// <param name="isOriginAllowed">Decides an <c>Origin</c> header when present.</param>
    public static HandshakeRejection? Validate(HttpRequestHead head, Func<string, bool> isOriginAllowed)
    {
        if (head.Method != "GET")
        {
            return new(405, "WebSocket upgrade requires GET");
        }

        if (head.MinorVersion != 1)
        {
            return new(400, "WebSocket upgrade requires HTTP/1.1");
        }

        if (string.IsNullOrEmpty(head["Host"]))
        {
            return new(400, "missing Host header");
        }

        if (!IsUpgradeRequest(head))
        {
            return new(426, "Upgrade: websocket required");
        }

        if (!head.HeaderContainsToken("Connection", "upgrade"))
        {
            return new(400, "Connection header must contain 'upgrade'");
        }

        string? key = head["Sec-WebSocket-Key"];
        if (key is null || !IsValidKey(key))
        {
            return new(400, "Sec-WebSocket-Key must be 16 bytes, base64");
        }

        if (head["Sec-WebSocket-Version"]?.Trim() != "13")
        {
            return new(426, "Sec-WebSocket-Version must be 13");
        }

        string? origin = head["Origin"];
        if (origin is not null && !isOriginAllowed(origin))
        {
            return new(403, "origin not allowed");
        }

        return null;
    }

    /// <summary>Writes base64(SHA-1(key + GUID)) into <paramref name="destination"/> (28 bytes) without allocating.</summary>
    public static void WriteAcceptKey(ReadOnlySpan<char> key, Span<byte> destination)
    {
        key = key.Trim();
        Span<byte> input = stackalloc byte[64 + 36];
        int n = System.Text.Encoding.ASCII.GetBytes(key, input);
        Guid.CopyTo(input[n..]);
        n += Guid.Length;
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..n], hash);
        Base64.EncodeToUtf8(hash, destination, out _, out _);
    }

    /// <summary>The accept key as a string (tests, clients).</summary>
    public static string ComputeAcceptKey(string key)
    {
        Span<byte> dest = stackalloc byte[AcceptKeyLength];
        WriteAcceptKey(key, dest);
        return System.Text.Encoding.ASCII.GetString(dest);
    }

    private static bool IsValidKey(string key)
    {
        key = key.Trim();
        if (key.Length != 24)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[18];
        return Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }
}
