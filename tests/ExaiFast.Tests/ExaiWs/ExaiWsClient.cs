using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>
/// An exai-ws client over the BCL ClientWebSocket that records every frame it receives; with the <c>mcp</c> subprotocol
/// (and no hello) the same client speaks MCP's JSON-RPC.
/// </summary>
internal sealed class ExaiWsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<JsonObject> _frames = Channel.CreateUnbounded<JsonObject>();
    private readonly ConcurrentQueue<JsonObject> _all = new();
    private Task? _receiving;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseStatusDescription => _socket.CloseStatusDescription;

    /// <summary>Every frame received so far.</summary>
    public IReadOnlyCollection<JsonObject> All => _all;

    private bool _mcp;

    public static async Task<ExaiWsClient> ConnectAsync(Uri uri, bool hello = true, string? sessionId = null, string? token = null, string? subprotocol = null)
    {
        var client = new ExaiWsClient { _mcp = subprotocol == "mcp" };
        if (subprotocol is not null)
        {
            client._socket.Options.AddSubProtocol(subprotocol);
        }

        await client._socket.ConnectAsync(uri, TestContext.Current.CancellationToken);
        client._receiving = client.ReceiveLoopAsync();
        if (hello)
        {
            var helloFrame = new JsonObject { ["op"] = "hello" };
            if (sessionId is not null)
            {
                helloFrame["session_id"] = sessionId;
            }

            if (token is not null)
            {
                helloFrame["token"] = token;
            }

            await client.SendAsync(helloFrame);
            var ack = await client.NextAsync();
            Assert.Equal("hello_ack", (string?)ack["op"]);
            Assert.True((bool)ack["ok"]!, ack.ToJsonString());
            client.SessionId = (string)ack["session_id"]!;
        }

        return client;
    }

    public string? SessionId { get; private set; }

    public Task SendAsync(JsonObject frame) => SendRawAsync(frame.ToJsonString());

    public async Task SendRawAsync(string text) =>
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);

    public Task CallAsync(string requestId, string tool, JsonObject? arguments = null) =>
        SendAsync(new JsonObject { ["op"] = "call_tool", ["request_id"] = requestId, ["name"] = tool, ["arguments"] = arguments ?? new JsonObject() });

    /// <summary>The next frame, whatever it is.</summary>
    public async Task<JsonObject> NextAsync(int timeoutMs = 20_000)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(timeoutMs);
        return await _frames.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Skips frames until one matches.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, int timeoutMs = 20_000)
    {
        while (true)
        {
            var frame = await NextAsync(timeoutMs);
            if (match(frame))
            {
                return frame;
            }
        }
    }

    public Task<JsonObject> ResultAsync(string requestId, int timeoutMs = 20_000) =>
        WaitForAsync(f => (string?)f["op"] == "call_tool_res" && (string?)f["request_id"] == requestId, timeoutMs);

    public Task<JsonObject> OpAsync(string op, int timeoutMs = 20_000) => WaitForAsync(f => (string?)f["op"] == op, timeoutMs);

    /// <summary>Waits until the server closes the connection (returns its close status).</summary>
    public async Task<WebSocketCloseStatus?> ClosedAsync()
    {
        await _receiving!.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        return _socket.CloseStatus;
    }

    /// <summary>Drops the TCP connection without a close handshake (a vanished client).</summary>
    public void Vanish() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                _socket.Abort();
            }
        }

        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var frame = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (_mcp)
                {
                    Assert.Equal("2.0", (string?)frame["jsonrpc"]); // every MCP message is JSON-RPC 2.0
                }
                else
                {
                    Assert.NotNull(frame["op"]); // every frame the daemon sends has op
                }

                _all.Enqueue(frame);
                _frames.Writer.TryWrite(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // aborted by the test
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }
}
