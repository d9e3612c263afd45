using System.Net.Sockets;
using System.Text;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Options;
using ExaiFast.Server;
using ExaiFast.Server.Http;
using ExaiFast.Server.Mcp;
using ExaiFast.Tools.Catalog;
using ExaiFast.Tools.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExaiFast.Benchmarks;

/// <summary>
/// Time and bytes allocated (all threads) per MCP <c>tools/call</c> over Streamable HTTP (<c>POST /mcp</c>, keep-alive,
/// stateless, as a real client sends it) through a real in-process server: head and body parse, the MCP core, the
/// dispatcher, the chat tool on the local model at 0 ms, the JSON response. Run: <c>scripts/micro.sh mcp-http-alloc</c>.
/// </summary>
internal static class McpHttpAllocationReport
{
    private const int Warmup = 5_000;
    private const int Measured = 20_000;

    public static async Task RunAsync()
    {
        var time = TimeProvider.System;
        var options = new DispatcherOptions { GlobalMaxInflight = 1000, CallerMaxInflight = 1000, LaneSlots = new Dictionary<string, int> { ["local"] = 8 } };
        await using var dispatcher = new Dispatcher(options, time);
        var providers = new ProviderRegistry([new LocalModelProvider(TimeSpan.Zero, time)]);
        var catalog = new ToolCatalog([new ChatTool(providers)]);
        var protocol = new McpProtocol(new DispatcherBackend(dispatcher, catalog), NullLogger.Instance);
        await using var sessions = new McpHttpSessions(protocol, 100, TimeSpan.FromMinutes(5), time);
        var serverOptions = new ServerOptions { Port = 0 };
        var endpoints = new Dictionary<string, IHttpEndpoint> { ["/mcp"] = new McpHttpEndpoint(protocol, sessions, new AccessGuard(new TokenGuard("")), serverOptions) };
        await using var server = new ExaiFastServer(serverOptions, handler: null, loggerFactory: null, metrics: null, timeProvider: null, access: null, endpoints);
        await server.StartAsync();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(server.LocalEndPoint!);
        var requests = Enumerable.Range(0, Warmup + Measured).Select(i =>
        {
            string body = "{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"tools/call\",\"params\":{\"name\":\"chat\",\"arguments\":{\"prompt\":\"hello " + (i % 10) + "\"}}}";
            return Encoding.ASCII.GetBytes($"POST /mcp HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        }).ToArray();
        var buffer = new byte[64 * 1024];
        for (int i = 0; i < Warmup; i++)
        {
            RoundTrip(socket, requests[i], buffer);
        }

        long bytes = GC.GetTotalAllocatedBytes(precise: true);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        bool types = Environment.GetEnvironmentVariable("EXAIFAST_ALLOC_TYPES") == "1";
        using var sampler = types ? new AllocationSampler() : null; // the sampler's own events allocate: only when asked
        for (int i = Warmup; i < Warmup + Measured; i++)
        {
            RoundTrip(socket, requests[i], buffer);
        }

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        Console.WriteLine($"MCP tools/call chat over Streamable HTTP (local, 0 ms): {elapsed.TotalMicroseconds / Measured,7:F1} µs per call, {allocated / (double)Measured,8:F0} bytes allocated per call (all threads, {Measured:N0} calls)");
        sampler?.Print(Console.Out, 25);
    }

    // One response, read whole into a reused buffer (the client allocates nothing per call): Content-Length only, since
    // a call this fast is answered with plain JSON.
    private static void RoundTrip(Socket socket, byte[] request, byte[] buffer)
    {
        socket.Send(request);
        int received = 0;
        while (true)
        {
            int n = socket.Receive(buffer.AsSpan(received));
            if (n == 0)
            {
                throw new InvalidOperationException("the server closed the connection");
            }

            received += n;
            var data = buffer.AsSpan(0, received);
            int headEnd = data.IndexOf("\r\n\r\n"u8);
            if (headEnd < 0)
            {
                continue;
            }

            int at = data.IndexOf("Content-Length: "u8);
            if (at < 0 || !data.StartsWith("HTTP/1.1 200"u8))
            {
                throw new InvalidOperationException(Encoding.ASCII.GetString(data[..Math.Min(received, 300)]));
            }

            int lineEnd = data[at..].IndexOf("\r\n"u8);
            int length = int.Parse(data.Slice(at + 16, lineEnd - 16), provider: null);
            if (received >= headEnd + 4 + length)
            {
                if (data.Slice(headEnd + 4, length).IndexOf("\"isError\":false"u8) < 0)
                {
                    throw new InvalidOperationException(Encoding.UTF8.GetString(data.Slice(headEnd + 4, length)));
                }

                return;
            }
        }
    }
}
