using System.Buffers;
using System.Net.Sockets;
using System.Text;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Options;
using ExaiFast.Server;
using ExaiFast.Server.ExaiWs;
using ExaiFast.Tools.Catalog;
using ExaiFast.Tools.Tools;
using ExaiFast.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExaiFast.Benchmarks;

/// <summary>
/// Time and bytes allocated (all threads) per exai-ws <c>call_tool</c> through a real in-process daemon: frame in,
/// JSON parse, admission, lane, worker, the chat tool on the local model at 0 ms, ack and result frames out.
/// Next to it, the same server's <c>/echo</c> as the baseline. Run: <c>scripts/micro.sh call-alloc</c>.
/// </summary>
/// <remarks>The client is a blocking raw socket with every request frame prebuilt before measuring.</remarks>
internal static class CallAllocationReport
{
    private const int Warmup = 5_000;
    private const int Measured = 20_000;

    public static async Task RunAsync()
    {
        // Runtime defaults (no inline socket completions): with the client in the same process on 2 cores, inline
        // completions make this harness's times an artifact; scripts/load.sh measures latency with separate processes.
        var time = TimeProvider.System;
        var options = new DispatcherOptions { GlobalMaxInflight = 1000, CallerMaxInflight = 1000, LaneSlots = new Dictionary<string, int> { ["local"] = 8 }, ResultStoreCapacity = 4_096 }; // below the warm-up count: measured calls cycle a full store, as a long-running daemon does
        await using var dispatcher = new Dispatcher(options, time);
        var providers = new ProviderRegistry([new LocalModelProvider(TimeSpan.Zero, time)]);
        var catalog = new ToolCatalog([new ChatTool(providers)]);
        await using var handler = new ExaiWsHandler(new ExaiWsOptions(), dispatcher, catalog, () => new Dictionary<string, bool>(), new UnreadStatus(), 1 << 20, 1000, time, NullLogger.Instance);
        await using var server = new ExaiFastServer(new ServerOptions { Port = 0 }, handler);
        await server.StartAsync();

        using var call = LoopbackWebSocket.Connect(server.LocalEndPoint!, "/");
        Send(call, LoopbackWebSocket.MaskedFrame(WebSocketOpcode.Text, Encoding.UTF8.GetBytes("""{"op":"hello","session_id":"alloc-bench"}""")));
        ReadFrame(call);
        var requests = Enumerable.Range(0, Warmup + Measured)
            .Select(i => LoopbackWebSocket.MaskedFrame(WebSocketOpcode.Text, Encoding.UTF8.GetBytes($$$"""{"op":"call_tool","request_id":"r{{{i}}}","name":"chat","arguments":{"prompt":"hello {{{i % 10}}}"}}""")))
            .ToArray();
        for (int i = 0; i < Warmup; i++)
        {
            try
            {
                RoundTrip(call, requests[i]);
            }
            catch (InvalidOperationException ex)
            {
                throw new InvalidOperationException($"call {i}: {ex.Message}", ex);
            }
        }

        long bytes = GC.GetTotalAllocatedBytes(precise: true);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        bool types = Environment.GetEnvironmentVariable("EXAIFAST_ALLOC_TYPES") == "1";
        using (var sampler = types ? new AllocationSampler() : null) // the sampler's own events allocate: only when asked
        {
            for (int i = Warmup; i < Warmup + Measured; i++)
            {
                RoundTrip(call, requests[i]);
            }

            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
            Console.WriteLine($"call_tool chat (local, 0 ms): {elapsed.TotalMicroseconds / Measured,7:F1} µs per call, {allocated / (double)Measured,8:F0} bytes allocated per call (all threads, {Measured:N0} calls)");
            sampler?.Print(Console.Out, 25);
        }

        using var echo = LoopbackWebSocket.Connect(server.LocalEndPoint!, "/echo");
        var payload = LoopbackWebSocket.MaskedFrame(WebSocketOpcode.Text, new byte[120]);
        for (int i = 0; i < Warmup; i++)
        {
            Send(echo, payload);
            ReadFrame(echo);
        }

        bytes = GC.GetTotalAllocatedBytes(precise: true);
        start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < Measured; i++)
        {
            Send(echo, payload);
            ReadFrame(echo);
        }

        var echoElapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
        long echoAllocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        Console.WriteLine($"echo 120 B on the same server:  {echoElapsed.TotalMicroseconds / Measured,7:F1} µs per round trip, {echoAllocated / (double)Measured,8:F1} bytes allocated per round trip");
    }

    private static void RoundTrip(Socket socket, byte[] request)
    {
        Send(socket, request);
        while (true)
        {
            var frame = ReadFrame(socket);
            if (frame.IndexOf("\"op\":\"call_tool_res\""u8) >= 0)
            {
                if (frame.IndexOf("\"ok\":true"u8) < 0)
                {
                    throw new InvalidOperationException(Encoding.UTF8.GetString(frame));
                }

                return;
            }
        }
    }

    private static void Send(Socket socket, byte[] frame) => socket.Send(frame);

    [ThreadStatic]
    private static byte[]? t_payload;

    // Reads one whole server frame into a reused buffer: the client allocates nothing per frame, so the bytes counted
    // are the server's.
    private static ReadOnlySpan<byte> ReadFrame(Socket socket)
    {
        Span<byte> header = stackalloc byte[10];
        ReadExactly(socket, header[..2]);
        int len7 = header[1] & 0x7F;
        int extra = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        ReadExactly(socket, header.Slice(2, extra));
        FrameParser.TryParseHeader(header[..(2 + extra)], fromClient: false, out var parsed);
        var buffer = t_payload is { } b && b.Length >= parsed.PayloadLength ? b : t_payload = new byte[Math.Max(4096, (int)parsed.PayloadLength)];
        var payload = buffer.AsSpan(0, (int)parsed.PayloadLength);
        ReadExactly(socket, payload);
        return payload;
    }

    private static void ReadExactly(Socket socket, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int n = socket.Receive(destination);
            if (n == 0)
            {
                throw new InvalidOperationException("server closed");
            }

            destination = destination[n..];
        }
    }

    // The harness sends no health or status request: nothing reads these.
    private sealed class UnreadStatus : IDaemonStatus
    {
        public double UptimeSeconds => 0;
        public int Connections => 0;
        public int Sessions => 0;
        public int Inflight => 0;
        public int Queued => 0;
        public int Capacity => 0;
        public MemoryPressure Memory => MemoryPressure.Normal;
    }
}
