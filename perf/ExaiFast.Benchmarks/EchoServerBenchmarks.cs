using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Options;
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
        _client = LoopbackWebSocket.Connect(_server.LocalEndPoint!, "/echo");
        var payload = new byte[Size];
        new Random(1).NextBytes(payload);
        _frame = LoopbackWebSocket.MaskedFrame(WebSocketOpcode.Binary, payload);
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
