using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>"A slow client loses heartbeats, never results" (EXAI_WS_OUTBOUND_QUEUE, EXAI_WS_PROGRESS_INTERVAL_SECS).</summary>
/// <remarks>
/// The client here is a bare ClientWebSocket that can stop reading (ExaiWsClient always reads). Heartbeats alone are
/// too small to fill the kernel's buffers in reasonable time (the daemon's send buffer grows to 4 MiB), so the client
/// also asks for enough list_tools to fill them: results that must all arrive too.
/// </remarks>
public class SlowReaderTests
{
    private const int LatencyMs = 2000;
    private const double ProgressIntervalSecs = 0.02; // 100 heartbeats over the call
    private const int BytesToQueue = 12 << 20;        // three times what the daemon's kernel may buffer

    [Fact]
    public async Task ClientThatStopsReading_DuringACall_LosesHeartbeats_ButGetsItsResult()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAI_WS_OUTBOUND_QUEUE"] = "2",
            ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = ProgressIntervalSecs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var socket = await ConnectWithSmallReceiveBufferAsync(daemon.Uri, ct);
        var inbox = new Reader(socket);

        await SendAsync(socket, new JsonObject { ["op"] = "hello" }, ct);
        Assert.Equal("hello_ack", (string?)(await inbox.NextAsync(ct))["op"]);
        await SendAsync(socket, new JsonObject { ["op"] = "list_tools", ["request_id"] = "size" }, ct);
        Assert.Equal("list_tools_res", (string?)(await inbox.NextAsync(ct))["op"]);
        int floods = BytesToQueue / inbox.LastLength + 1;

        // From here the client reads nothing until the call has ended.
        await SendAsync(socket, new JsonObject
        {
            ["op"] = "call_tool", ["request_id"] = "slow", ["name"] = "chat",
            ["arguments"] = new JsonObject { ["prompt"] = "a slow reader", ["local_latency_ms"] = LatencyMs },
        }, ct);
        for (int i = 0; i < floods; i++)
        {
            await SendAsync(socket, new JsonObject { ["op"] = "list_tools", ["request_id"] = $"lt{i}" }, ct);
        }

        await EventuallyAsync(() => daemon.Dispatcher.Inflight >= 1, "the call admitted", ct);
        await EventuallyAsync(() => daemon.Dispatcher.Inflight == 0, "the call ended while its client read nothing", ct);

        int progress = 0, results = 0, listTools = 0;
        var aboutTheCall = new List<string>();
        while (results == 0 || listTools < floods)
        {
            var frame = await inbox.NextAsync(ct);
            string? op = (string?)frame["op"];
            if (op == "list_tools_res")
            {
                listTools++;
                continue;
            }

            Assert.True((string?)frame["request_id"] == "slow", $"unexpected frame: {frame.ToJsonString()}");
            aboutTheCall.Add(op!);
            progress += op == "progress" ? 1 : 0;
            results += op == "call_tool_res" ? 1 : 0;
        }

        Assert.Equal("call_tool_ack", aboutTheCall[0]);
        Assert.Equal("call_tool_res", aboutTheCall[^1]);
        Assert.Equal(1, results);
        int sent = (int)(LatencyMs / 1000.0 / ProgressIntervalSecs);
        Assert.True(progress < sent / 2, $"{progress} of about {sent} heartbeats arrived although the client read nothing for the whole call: heartbeats must be dropped when its queue is full");
    }

    private static async Task<ClientWebSocket> ConnectWithSmallReceiveBufferAsync(Uri uri, CancellationToken ct)
    {
        // A small SO_RCVBUF (set before connecting, so it bounds the window) keeps the client's side of the buffering small.
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 8 * 1024 };
                await s.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, new HttpMessageInvoker(handler), ct);
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, JsonObject frame, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, ct);

    private static async Task EventuallyAsync(Func<bool> condition, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(10, ct);
        }
    }

    /// <summary>Reads one whole text message only when asked: between two calls nothing is read from the socket.</summary>
    private sealed class Reader(ClientWebSocket socket)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];

        public int LastLength { get; private set; }

        public async Task<JsonObject> NextAsync(CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            using var message = new MemoryStream();
            while (true)
            {
                WebSocketReceiveResult result;
                try
                {
                    result = await socket.ReceiveAsync(_buffer, timeout.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new Xunit.Sdk.XunitException("no frame within 30 s: a frame the daemon owed this client (a result?) never came");
                }

                Assert.True(result.MessageType == WebSocketMessageType.Text, $"expected a text frame, got {result.MessageType} ({socket.CloseStatus} {socket.CloseStatusDescription})");
                message.Write(_buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    LastLength = (int)message.Length;
                    return JsonNode.Parse(message.ToArray())!.AsObject();
                }
            }
        }
    }
}
