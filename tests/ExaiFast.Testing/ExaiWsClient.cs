using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExaiFast.Testing;

/// <summary>
/// The tests' exai-ws client, over the BCL ClientWebSocket: hello (session, token), call_tool, every frame it receives
/// recorded and checked (each has an op); with the <c>mcp</c> subprotocol (and no hello) the same client speaks MCP's
/// JSON-RPC over WebSocket. Tests of the wire itself use raw sockets instead.
/// </summary>
public sealed class ExaiWsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentQueue<JsonObject> _all = new();

    // Frames not yet taken by NextAsync/WaitForAsync, oldest first. A wait takes only the frame it matches: two
    // requests may be answered in either order, and a frame skipped while waiting for another must stay for its own
    // wait (discarding it made a test wait 20 s for a response that had already arrived).
    private readonly List<JsonObject> _inbox = [];
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;
    private Exception? _failure;
    private Task? _receiving;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseStatusDescription => _socket.CloseStatusDescription;

    /// <summary>Every frame received so far.</summary>
    public IReadOnlyCollection<JsonObject> All => _all;

    private bool _mcp;

    public static async Task<ExaiWsClient> ConnectAsync(Uri uri, bool hello = true, string? sessionId = null, string? token = null, string? subprotocol = null, string? bearer = null,
        HttpMessageInvoker? invoker = null)
    {
        var client = new ExaiWsClient { _mcp = subprotocol == "mcp" };
        if (subprotocol is not null)
        {
            client._socket.Options.AddSubProtocol(subprotocol);
        }

        if (bearer is not null)
        {
            client._socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        // An invoker decides how the TCP connection is made (a client bound to a loopback address of its own, say).
        await client._socket.ConnectAsync(uri, invoker, TestContext.Current.CancellationToken);
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

    /// <summary>Sends UTF-8 bytes as one text frame, or as a fragment of a text message when <paramref name="end"/> is false.</summary>
    public async Task SendBytesAsync(ReadOnlyMemory<byte> utf8, bool end = true) =>
        await _socket.SendAsync(utf8, WebSocketMessageType.Text, end, TestContext.Current.CancellationToken);

    /// <summary>Sends bytes as one binary frame.</summary>
    public async Task SendBinaryAsync(ReadOnlyMemory<byte> bytes) =>
        await _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);

    public Task CallAsync(string requestId, string tool, JsonObject? arguments = null) =>
        SendAsync(new JsonObject { ["op"] = "call_tool", ["request_id"] = requestId, ["name"] = tool, ["arguments"] = arguments ?? new JsonObject() });

    /// <summary>The oldest frame not taken yet, whatever it is.</summary>
    public Task<JsonObject> NextAsync(int timeoutMs = 20_000) => WaitForAsync(static _ => true, timeoutMs);

    /// <summary>The oldest frame not taken yet that matches; the frames it passes over stay for later waits.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, int timeoutMs = 20_000)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(timeoutMs);
        while (true)
        {
            Task arrived;
            lock (_inbox)
            {
                int i = _inbox.FindIndex(f => match(f));
                if (i >= 0)
                {
                    var frame = _inbox[i];
                    _inbox.RemoveAt(i);
                    return frame;
                }

                if (_ended)
                {
                    throw new InvalidOperationException($"the connection ended ({_socket.CloseStatus}) and no frame matched; untaken: {Untaken()}", _failure);
                }

                arrived = _arrived.Task;
            }

            try
            {
                await arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                lock (_inbox)
                {
                    throw new TimeoutException($"no matching frame within {timeoutMs} ms; untaken: {Untaken()}");
                }
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
        if (_failure is not null)
        {
            throw new InvalidOperationException("a frame broke the protocol before the close", _failure);
        }

        return _socket.CloseStatus;
    }

    /// <summary>Answers the server's close (<see cref="ClosedAsync"/>) with the same status: the handshake's second half.</summary>
    public Task AnswerCloseAsync() =>
        _socket.CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);

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

        // The receive loop ends with the close or the abort; a frame that broke a rule while no test was waiting for
        // one fails the test here, instead of going unseen.
        if (_receiving is not null)
        {
            await _receiving.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _socket.Dispose();
        if (_failure is not null)
        {
            throw new InvalidOperationException("a frame from the daemon broke the protocol", _failure);
        }
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
                Arrived(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // aborted by the test
        }
        catch (Exception ex)
        {
            // A frame that broke a rule (an assertion above) or could not be parsed: every later wait fails with it.
            _failure = ex;
        }
        finally
        {
            Arrived(null);
        }
    }

    private void Arrived(JsonObject? frame)
    {
        TaskCompletionSource arrived;
        lock (_inbox)
        {
            if (frame is null)
            {
                _ended = true;
            }
            else
            {
                _inbox.Add(frame);
            }

            arrived = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.SetResult();
    }

    private string Untaken() => _inbox.Count == 0 ? "none" : string.Join(" | ", _inbox.Take(10).Select(f => Shorten(f.ToJsonString())));

    private static string Shorten(string s) => s.Length <= 160 ? s : s[..160] + "…";
}
