using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ExaiFast.Core.Options;
using ExaiFast.Server;
using ExaiFast.Wire;

namespace ExaiFast.Benchmarks;

/// <summary>
/// One WebSocket echo round trip through a real in-process server on loopback: receive loop, framer, handler,
/// outbound channel, writer loop. The client is a blocking raw socket with preallocated frames. Read its time,
/// not its Allocated column: the MemoryDiagnoser counts only this thread; <see cref="EchoAllocationReport"/>
/// measures the server's allocations on all threads.
/// </summary>
public class EchoServerBenchmarks
{
    private ExaiFastServer? _server;
    private Socket? _client;
    private byte[] _frame = [];
    private byte[] _reply = [];

    [Params(32, 4096)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = new ExaiFastServer(new ServerOptions { Port = 0 });
        _server.StartAsync().GetAwaiter().GetResult();
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(_server.LocalEndPoint!);
        _client.Send("GET / HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"u8);
        var head = new byte[1024];
        int n = 0;
        while (!head.AsSpan(0, n).EndsWith("\r\n\r\n"u8))
        {
            n += _client.Receive(head.AsSpan(n, 1));
        }

        var payload = new byte[Size];
        new Random(1).NextBytes(payload);
        _frame = new byte[FrameWriter.GetHeaderLength(Size, true) + Size];
        int h = FrameWriter.WriteHeader(_frame, WebSocketOpcode.Binary, true, Size, 0x11223344);
        payload.CopyTo(_frame, h);
        Masking.Apply(_frame.AsSpan(h), 0x11223344, 0);
        _reply = new byte[FrameWriter.GetHeaderLength(Size, false) + Size];
    }

    [Benchmark]
    public int RoundTrip()
    {
        _client!.Send(_frame);
        int received = 0;
        while (received < _reply.Length)
        {
            received += _client.Receive(_reply.AsSpan(received));
        }

        if (_reply[0] != 0x82)
        {
            throw new InvalidOperationException("not a binary echo");
        }

        return received;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        _server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
