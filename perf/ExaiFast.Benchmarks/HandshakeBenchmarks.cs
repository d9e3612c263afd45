using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using ExaiFast.Wire;
using ExaiFast.Wire.Http;

namespace ExaiFast.Benchmarks;

/// <summary>Parse an upgrade request head, validate it and compute the accept key (once per connection).</summary>
public class HandshakeBenchmarks
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:8079\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nUser-Agent: bench\r\n\r\n");

    private readonly byte[] _accept = new byte[WebSocketHandshake.AcceptKeyLength];

    [Benchmark]
    public int ParseValidateAccept()
    {
        HttpHeadParser.TryParse(new ReadOnlySequence<byte>(Request), 8192, out var head, out _, out _);
        if (WebSocketHandshake.Validate(head!, static _ => false) is not null)
        {
            throw new InvalidOperationException();
        }

        WebSocketHandshake.WriteAcceptKey(head!["Sec-WebSocket-Key"], _accept);
        return _accept[0];
    }

    [Benchmark]
    public int AcceptKeyOnly()
    {
        WebSocketHandshake.WriteAcceptKey("dGhlIHNhbXBsZSBub25jZQ==", _accept);
        return _accept[0];
    }
}
