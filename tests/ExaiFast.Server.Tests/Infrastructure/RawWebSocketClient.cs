using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Infrastructure;

/// <summary>
/// A WebSocket client that sends exactly the bytes a test asks for (unmasked frames, bad RSV bits, split writes…)
/// and reads back exactly what the server sent, for Autobahn-style conformance checks.
/// </summary>
internal sealed class RawWebSocketClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly CancellationTokenSource _timeout;

    private RawWebSocketClient(Socket socket, TimeSpan? timeout)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream);
        _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        _timeout.CancelAfter(timeout ?? DefaultTimeout);
    }

    public CancellationToken Token => _timeout.Token;

    /// <summary>Opens a TCP connection without any handshake.</summary>
    /// <remarks>
    /// <c>receiveBufferSize</c> (SO_RCVBUF) is set before connecting so that it also bounds the TCP window: a client
    /// that stops reading then stops the server's writes after a few KiB of its own buffer instead of several MiB.
    /// </remarks>
    public static async Task<RawWebSocketClient> OpenAsync(IPEndPoint endPoint, TimeSpan? timeout = null, int? receiveBufferSize = null, IPAddress? localAddress = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is int size)
        {
            socket.ReceiveBufferSize = size;
        }

        if (localAddress is not null)
        {
            socket.Bind(new IPEndPoint(localAddress, 0)); // e.g. 127.0.0.2: another client address on loopback
        }

        await socket.ConnectAsync(endPoint, TestContext.Current.CancellationToken);
        return new RawWebSocketClient(socket, timeout);
    }

    /// <summary>Opens and completes the handshake, asserting 101 and the accept key.</summary>
    public static async Task<RawWebSocketClient> ConnectAsync(IPEndPoint endPoint, string path = "/", string extraHeaders = "", TimeSpan? timeout = null, int? receiveBufferSize = null)
    {
        var client = await OpenAsync(endPoint, timeout, receiveBufferSize);
        var (status, head) = await client.HandshakeAsync(path, extraHeaders);
        Assert.True(status == 101, $"expected 101, got {status}:\n{head}");
        return client;
    }

    /// <summary>Sends a handshake and returns the response status and head.</summary>
    public async Task<(int Status, string Head)> HandshakeAsync(string path = "/", string extraHeaders = "")
    {
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await SendRawAsync(Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n"));
        var (status, head, _) = await ReadHttpResponseAsync(readBody: false);
        if (status == 101)
        {
            Assert.Contains($"Sec-WebSocket-Accept: {WebSocketHandshake.ComputeAcceptKey(key)}\r\n", head);
        }

        return (status, head);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes) => await _stream.WriteAsync(bytes, Token);

    /// <summary>Sends bytes in chunks of <paramref name="chunk"/> with a flush (and a short pause) between them.</summary>
    public async Task SendChoppedAsync(byte[] bytes, int chunk)
    {
        for (int i = 0; i < bytes.Length; i += chunk)
        {
            await _stream.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)), Token);
            await _stream.FlushAsync(Token);
            if (chunk < 64)
            {
                await Task.Delay(1, Token);
            }
        }
    }

    public Task SendFrameAsync(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool mask = true, byte rsv = 0) =>
        SendRawAsync(BuildFrame(opcode, payload, fin, mask, rsv));

    public Task SendTextAsync(string text, bool fin = true) => SendFrameAsync(WebSocketOpcode.Text, Encoding.UTF8.GetBytes(text), fin);

    public Task SendCloseAsync(ushort code, string reason = "") => SendFrameAsync(WebSocketOpcode.Close, CloseBody(code, reason));

    public static byte[] CloseBody(ushort code, string reason = "") => [(byte)(code >> 8), (byte)code, .. Encoding.UTF8.GetBytes(reason)];

    /// <summary>A client frame: header (masked unless told otherwise), then the masked payload.</summary>
    public static byte[] BuildFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool mask = true, byte rsv = 0)
    {
        int key = mask ? RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue) : 0;
        var frame = new byte[FrameWriter.GetHeaderLength(payload.Length, mask) + payload.Length];
        int n = FrameWriter.WriteHeader(frame, opcode, fin, payload.Length, mask ? key : null);
        frame[0] |= (byte)(rsv << 4);
        payload.CopyTo(frame.AsSpan(n));
        if (mask)
        {
            Masking.Apply(frame.AsSpan(n), key, 0);
        }

        return frame;
    }

    /// <summary>Reads one server frame; null when the server closed the TCP connection.</summary>
    public async Task<ReceivedFrame?> ReadFrameAsync()
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync(Token);
            }
            catch (IOException)
            {
                return null; // reset
            }

            var buffer = result.Buffer;
            var status = FrameParser.TryParseHeader(buffer, fromClient: false, out var header);
            Assert.NotEqual(FrameParseStatus.Invalid, status);
            if (status == FrameParseStatus.Done && buffer.Length >= header.HeaderLength + header.PayloadLength)
            {
                var payload = buffer.Slice(header.HeaderLength, header.PayloadLength).ToArray();
                _reader.AdvanceTo(buffer.GetPosition(header.HeaderLength + header.PayloadLength));
                return new ReceivedFrame(header.Opcode, header.Fin, payload);
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                Assert.True(buffer.IsEmpty, $"server closed mid-frame ({buffer.Length} bytes left)");
                return null;
            }
        }
    }

    /// <summary>Reads a whole (possibly fragmented) data message, answering nothing; control frames are returned too.</summary>
    public async Task<ReceivedFrame> ReadMessageAsync()
    {
        var first = await ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException("connection closed instead of a message");
        if (first.Fin || first.Opcode is not (WebSocketOpcode.Text or WebSocketOpcode.Binary))
        {
            return first;
        }

        var data = new List<byte>(first.Payload);
        while (true)
        {
            var next = await ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException("connection closed mid-message");
            Assert.Equal(WebSocketOpcode.Continuation, next.Opcode);
            data.AddRange(next.Payload);
            if (next.Fin)
            {
                return new ReceivedFrame(first.Opcode, true, [.. data]);
            }
        }
    }

    /// <summary>Expects a close frame with <paramref name="code"/> (skipping pings and pongs), then the end of the TCP stream.</summary>
    public async Task ExpectCloseAsync(ushort code)
    {
        while (true)
        {
            var frame = await ReadFrameAsync();
            Assert.True(frame is not null, $"expected close {code}, but the connection ended without a close frame");
            if (frame.Opcode is WebSocketOpcode.Ping or WebSocketOpcode.Pong)
            {
                continue;
            }

            Assert.Equal(WebSocketOpcode.Close, frame.Opcode);
            Assert.Equal(code, frame.CloseCode);
            break;
        }

        await ExpectEndOfStreamAsync();
    }

    /// <summary>Reads and discards until the server ends the TCP connection.</summary>
    public async Task ExpectEndOfStreamAsync()
    {
        while (await ReadFrameAsync() is not null)
        {
        }
    }

    /// <summary>Reads an HTTP response head (and, when asked, a Content-Length body).</summary>
    public async Task<(int Status, string Head, string Body)> ReadHttpResponseAsync(bool readBody = true)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(Token);
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> headBytes, "\r\n\r\n"u8))
            {
                string head = Encoding.ASCII.GetString(headBytes) + "\r\n";
                int status = int.Parse(head.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
                string body = string.Empty;
                var match = System.Text.RegularExpressions.Regex.Match(head, @"Content-Length: (\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
                if (readBody && match.Success)
                {
                    int length = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (reader.Remaining < length)
                    {
                        _reader.AdvanceTo(buffer.Start, buffer.End);
                        Assert.False(result.IsCompleted, "connection closed inside the body");
                        continue;
                    }

                    body = Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, length));
                    reader.Advance(length);
                }

                _reader.AdvanceTo(reader.Position);
                return (status, head, body);
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            Assert.False(result.IsCompleted, "connection closed before a complete response head");
        }
    }

    /// <summary>Reads one chunk of a chunked body (RFC 9112 §7.1): its data, or null for the last chunk (trailers skipped).</summary>
    public async Task<string?> ReadChunkAsync()
    {
        while (true)
        {
            var result = await _reader.ReadAsync(Token);
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> sizeLine, "\r\n"u8))
            {
                string line = Encoding.ASCII.GetString(sizeLine);
                int semicolon = line.IndexOf(';', StringComparison.Ordinal);
                int size = int.Parse(semicolon < 0 ? line : line[..semicolon], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                if (size == 0 && reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n"u8))
                {
                    _reader.AdvanceTo(reader.Position);
                    return null;
                }

                if (size > 0 && reader.Remaining >= size + 2)
                {
                    string data = Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, size));
                    reader.Advance(size + 2);
                    _reader.AdvanceTo(reader.Position);
                    return data;
                }
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            Assert.False(result.IsCompleted, "connection closed inside a chunked body");
        }
    }

    /// <summary>Reads until the server ends the TCP connection; returns how many bytes came before the end.</summary>
    public async Task<long> ReadToEndAsync()
    {
        long total = 0;
        while (true)
        {
            var result = await _reader.ReadAsync(Token);
            total += result.Buffer.Length;
            _reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return total;
            }
        }
    }

    /// <summary>Whether the server closed the connection (EOF or reset) within the client's timeout.</summary>
    public async Task<bool> WaitForServerCloseAsync()
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(Token);
                _reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        await _stream.DisposeAsync();
        _socket.Dispose();
        _timeout.Dispose();
    }
}
