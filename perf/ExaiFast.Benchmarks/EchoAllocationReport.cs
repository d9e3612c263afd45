using System.Net.Sockets;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Options;
using ExaiFast.Server;
using ExaiFast.Wire;

namespace ExaiFast.Benchmarks;

/// <summary>
/// Bytes the whole process allocates per echo round trip through a real in-process server, on every thread.
/// </summary>
/// <remarks>
/// BenchmarkDotNet's MemoryDiagnoser counts only the benchmark's own thread (calibrated: 1,000 bytes allocated on
/// a pool thread were reported as 72 B), and the server allocates on its socket and pool threads. So this reads
/// <see cref="GC.GetTotalAllocatedBytes(bool)"/> around 100,000 round trips; the client is a blocking socket with
/// preallocated frames, so what is counted is the server's. Run: <c>scripts/micro.sh echo-alloc</c>.
/// </remarks>
internal static class EchoAllocationReport
{
    public static void Run()
    {
        // As `exaifast serve` does by default; must be set before the first socket operation of the process.
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        foreach (int size in new[] { 32, 4096, 65536 })
        {
            using var server = new Harness(size);
            server.RoundTrips(20_000); // warm-up: tiered JIT, pools, pipe segments
            long before = GC.GetTotalAllocatedBytes(precise: true);
            const int N = 100_000;
            server.RoundTrips(N);
            long after = GC.GetTotalAllocatedBytes(precise: true);
            Console.WriteLine($"echo {size,6} B: {(after - before) / (double)N,8:F2} bytes allocated per round trip (all threads, {N:N0} round trips)");
        }
    }

    private sealed class Harness : IDisposable
    {
        private readonly ExaiFastServer _server;
        private readonly Socket _client;
        private readonly byte[] _frame;
        private readonly byte[] _reply;

        public Harness(int size)
        {
            _server = new ExaiFastServer(new ServerOptions { Port = 0 });
            _server.StartAsync().GetAwaiter().GetResult();
            _client = LoopbackWebSocket.Connect(_server.LocalEndPoint!, "/echo");
            _frame = LoopbackWebSocket.MaskedFrame(WebSocketOpcode.Binary, new byte[size]);
            _reply = new byte[FrameWriter.GetHeaderLength(size, false) + size];
        }

        public void RoundTrips(int count)
        {
            for (int i = 0; i < count; i++)
            {
                _client.Send(_frame);
                int received = 0;
                while (received < _reply.Length)
                {
                    received += _client.Receive(_reply.AsSpan(received));
                }
            }
        }

        public void Dispose()
        {
            _client.Dispose();
            _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
