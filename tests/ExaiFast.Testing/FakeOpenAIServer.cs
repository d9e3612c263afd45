using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExaiFast.Testing;

/// <summary>
/// A real HTTP/1.1 server on 127.0.0.1 (OS-assigned port) that plays an OpenAI-compatible chat-completions API, scripted
/// by the requested model's name (or <see cref="Behaviors"/>): answer, stream, fail with a status, hang before headers,
/// hang mid-stream, reset, cut the stream, send malformed JSON, stop at the length limit. Raw sockets, so that every
/// fault is the real thing on the wire; it counts the requests it is still serving, so a test can see that no upstream
/// request outlives its call.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    public const string Answer = "Hello from the fake model.";

    /// <summary>The answer of the <c>trickle</c> script: multi-byte UTF-8, sent one byte per write.</summary>
    /// <summary>What model <c>long</c> answers: 400 numbered lines, about 30,000 characters.</summary>
    public static readonly string LongAnswer = string.Join('\n', Enumerable.Range(1, 400).Select(i =>
        $"line {i:D3}: the fake model goes on at length so that an MCP answer has to be cut somewhere ({i * 7 % 1000:D3})"));

    public const string Trickled = "héllo, 世界 — ünïcode ✓";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly List<Task> _connections = [];
    private Task? _accepting;
    private int _open;
    private int _held;
    private int _answering;
    private int _maxAnswering;

    private FakeOpenAIServer()
    {
    }

    /// <summary>Model name → behaviour, for models whose names are not behaviours (kimi-k2-turbo-preview → "status-500").</summary>
    public ConcurrentDictionary<string, string> Behaviors { get; } = new(StringComparer.Ordinal);

    /// <summary>Every request received: its head's headers and its JSON body.</summary>
    public ConcurrentQueue<(Dictionary<string, string> Headers, JsonObject Body)> Requests { get; } = new();

    /// <summary>The prompt tokens a streamed answer's usage reports (what a budget is charged).</summary>
    public int PromptTokens { get; set; } = 12;

    /// <summary>Chunks of a streamed answer.</summary>
    public int StreamChunks { get; set; } = 5;

    /// <summary>Pause before each streamed chunk.</summary>
    public TimeSpan ChunkDelay { get; set; }

    /// <summary>
    /// Streamed answers (<c>stream</c>) wait for this before their response head, so a test can hold a request — and the
    /// lane slot of the call that made it — for as long as it looks.
    /// </summary>
    public Task Hold { get; set; } = Task.CompletedTask;

    /// <summary>Requests waiting for <see cref="Hold"/> now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Requests being served now (from the end of their head to the end of the response or the client's going).</summary>
    public int OpenRequests => Volatile.Read(ref _open);

    /// <summary>
    /// Most requests answered at once, each counted until just before its last bytes are written (so a client that
    /// starts its next request on reading them cannot be counted together with the one it finished).
    /// </summary>
    public int MaxConcurrentAnswers => Volatile.Read(ref _maxAnswering);

    public int RequestCount => Requests.Count;

    /// <summary>
    /// Requests of the <c>gate</c> script wait (before their headers) until this many of them have arrived, then all
    /// answer: requests sent one after another never open it, so a test sees concurrency without timing anything.
    /// </summary>
    public int GateSize { get; set; } = 2;

    /// <summary>How long a <c>gate</c> request waits for the others before it answers <see cref="GateNotReached"/> instead.</summary>
    public TimeSpan GateWait { get; set; } = TimeSpan.FromSeconds(10);

    public const string GateNotReached = "the gate never opened: the other requests did not come while this one waited";

    /// <summary>Whether <see cref="GateSize"/> <c>gate</c> requests were ever open at once.</summary>
    public bool GateOpened => _gate.Task.IsCompleted;

    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _gated;

    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1");

    public static FakeOpenAIServer Start()
    {
        var server = new FakeOpenAIServer();
        server._listener.Start();
        server._accepting = server.AcceptAsync();
        return server;
    }

    /// <summary>Requests that asked for <paramref name="model"/>.</summary>
    public int Attempts(string model) => _attempts.TryGetValue(model, out int n) ? n : 0;

    /// <summary>Waits until <paramref name="count"/> requests wait for <see cref="Hold"/> (bounded, like the wait below).</summary>
    public async Task WaitForHeldAsync(int count, int timeoutMs = 20_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Held < count)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"{Held} requests held, not {count}, {timeoutMs} ms later");
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits until no request is being served (bounded: a request that never ends fails the test).</summary>
    public async Task WaitForNoOpenRequestsAsync(int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (OpenRequests > 0)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"{OpenRequests} upstream requests still open {timeoutMs} ms later");
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting!.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }

        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => ServeAsync(socket)));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        using var stream = new NetworkStream(socket, ownsSocket: false);
        var input = new RequestReader(stream);
        try
        {
            while (await input.ReadRequestAsync(_stop.Token).ConfigureAwait(false) is { } request)
            {
                Interlocked.Increment(ref _open);
                InterlockedMax(ref _maxAnswering, Interlocked.Increment(ref _answering));
                _finishing.Value = 1;
                try
                {
                    if (!await RespondAsync(socket, stream, request.Headers, request.Body).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                finally
                {
                    Finishing();
                    Interlocked.Decrement(ref _open);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away (it cancelled, or gave up on a fault we played): that is the point of most scripts
        }
    }

    // Per request (each connection serves its requests one by one on its own async flow): 1 until it stops counting.
    private readonly AsyncLocal<StrongBox<int>> _finishingBox = new();

    private StrongBox<int> _finishing => _finishingBox.Value ??= new StrongBox<int>();

    /// <summary>The request stops counting as answered (once).</summary>
    private void Finishing()
    {
        if (Interlocked.Exchange(ref _finishing.Value, 0) == 1)
        {
            Interlocked.Decrement(ref _answering);
        }
    }

    /// <summary>Plays the behaviour; false when the connection must not be reused.</summary>
    private async Task<bool> RespondAsync(Socket socket, NetworkStream stream, Dictionary<string, string> headers, byte[] body)
    {
        var json = JsonNode.Parse(body)!.AsObject();
        Requests.Enqueue((headers, json));
        string model = (string?)json["model"] ?? "";
        int attempt = _attempts.AddOrUpdate(model, 1, static (_, n) => n + 1);
        string behavior = Behaviors.TryGetValue(model, out var b) ? b : model;
        var ct = _stop.Token;
        switch (behavior)
        {
            case "answer":
                await WriteJsonAsync(stream, 200, Completion(Answer, "stop"), ct).ConfigureAwait(false);
                return true;
            case "long":
                await WriteJsonAsync(stream, 200, Completion(LongAnswer, "stop"), ct).ConfigureAwait(false);
                return true;
            case "gate":
                if (Interlocked.Increment(ref _gated) >= GateSize)
                {
                    _gate.TrySetResult();
                }

                bool opened = await _gate.Task.WaitAsync(GateWait, ct).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default).ConfigureAwait(false);
                await WriteJsonAsync(stream, 200, Completion(opened ? Answer : GateNotReached, "stop"), ct).ConfigureAwait(false);
                return true;
            case "stream":
            case "reasoning":
                await StreamAsync(stream, StreamChunks, "stop", behavior == "reasoning", ct).ConfigureAwait(false);
                return true;
            case "usage-in-choice":
                await StreamAsync(stream, StreamChunks, "stop", false, ct, usageInChoice: true).ConfigureAwait(false);
                return true;
            case "length":
                await StreamAsync(stream, StreamChunks, "length", false, ct).ConfigureAwait(false);
                return true;
            case "status-500":
            case "status-502":
            case "status-503":
                await WriteJsonAsync(stream, int.Parse(behavior[7..], System.Globalization.CultureInfo.InvariantCulture), "{\"error\":{\"message\":\"upstream trouble\"}}", ct).ConfigureAwait(false);
                return true;
            case "flaky-503":
                if (attempt == 1)
                {
                    await WriteJsonAsync(stream, 503, "{\"error\":{\"message\":\"busy\"}}", ct).ConfigureAwait(false);
                }
                else
                {
                    await StreamAsync(stream, StreamChunks, "stop", false, ct).ConfigureAwait(false);
                }

                return true;
            case "408-once":
                if (attempt == 1)
                {
                    await WriteJsonAsync(stream, 408, "{\"error\":{\"message\":\"request timeout\"}}", ct).ConfigureAwait(false);
                }
                else
                {
                    await StreamAsync(stream, StreamChunks, "stop", false, ct).ConfigureAwait(false);
                }

                return true;
            case "endless":
                // A stream that never stalls and never ends: a chunk every 100 ms until the client goes. Only a
                // deadline over the whole request can end it.
                await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n", ct).ConfigureAwait(false);
                Finishing();
                for (int i = 0; ; i++)
                {
                    await WriteChunkedAsync(stream, Event(Delta($"tick{i} ")), ct).ConfigureAwait(false);
                    await Task.Delay(100, ct).ConfigureAwait(false);
                }

            case "429-once":
            case "429-long":
                if (behavior == "429-long" || attempt == 1)
                {
                    await WriteJsonAsync(stream, 429, "{\"error\":{\"message\":\"slow down\"}}", ct, behavior == "429-long" ? "Retry-After: 60\r\n" : "Retry-After: 1\r\n").ConfigureAwait(false);
                }
                else
                {
                    await StreamAsync(stream, StreamChunks, "stop", false, ct).ConfigureAwait(false);
                }

                return true;
            case "401":
                // Real APIs echo part of the key back; the daemon must not pass it on.
                string key = headers.TryGetValue("authorization", out var auth) ? auth : "";
                await WriteJsonAsync(stream, 401, JsonSerializer.Serialize(new { error = new { message = $"Incorrect API key provided: {key}" } }), ct).ConfigureAwait(false);
                return true;
            case "hang-headers":
                await WaitForClientToGoAsync(stream).ConfigureAwait(false);
                return false;
            case "hang-stream":
                await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n", ct).ConfigureAwait(false);
                await WriteChunkedAsync(stream, Event(Delta("part one ")) + Event(Delta("part two ")), ct).ConfigureAwait(false);
                await WaitForClientToGoAsync(stream).ConfigureAwait(false);
                return false;
            case "trickle":
                // One byte per write: every line and every UTF-8 sequence is split across reads.
                await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n", ct).ConfigureAwait(false);
                Finishing();
                foreach (byte one in Encoding.UTF8.GetBytes(Event(Delta(Trickled[..7])) + Event(Delta(Trickled[7..])) +
                    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\ndata: [DONE]\r\n\r\n"))
                {
                    await stream.WriteAsync(new[] { one }, ct).ConfigureAwait(false);
                    await stream.FlushAsync(ct).ConfigureAwait(false);
                }

                socket.Shutdown(SocketShutdown.Send);
                return false;
            case "reset":
                socket.LingerState = new LingerOption(true, 0); // close with RST
                socket.Close();
                return false;
            case "cut":
                await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n", ct).ConfigureAwait(false);
                await WriteAsync(stream, Event(Delta("part one ")) + Event(Delta("part two ")), ct).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send); // a clean end of the body, but no [DONE]
                return false;
            case "malformed":
                await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n", ct).ConfigureAwait(false);
                await WriteAsync(stream, Event(Delta("part one ")) + "data: {\"choices\":[{\"delta\":{\"content\":\"x\"\n\n", ct).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
                return false;
            default:
                await WriteJsonAsync(stream, 404, "{\"error\":{\"message\":\"no such model\"}}", ct).ConfigureAwait(false);
                return true;
        }
    }

    private async Task StreamAsync(NetworkStream stream, int chunks, string finish, bool reasoning, CancellationToken ct, bool usageInChoice = false)
    {
        if (!Hold.IsCompleted)
        {
            Interlocked.Increment(ref _held);
            try
            {
                await Hold.WaitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _held);
            }
        }

        await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n", ct).ConfigureAwait(false);
        if (reasoning)
        {
            await WriteChunkedAsync(stream, Event("{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let me think. \"}}]}"), ct).ConfigureAwait(false);
        }

        for (int i = 0; i < chunks; i++)
        {
            if (ChunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(ChunkDelay, ct).ConfigureAwait(false);
            }

            await WriteChunkedAsync(stream, Event(Delta($"chunk{i} ")), ct).ConfigureAwait(false);
        }

        string usage = "{\"prompt_tokens\":" + PromptTokens + ",\"completion_tokens\":" + chunks + ",\"total_tokens\":" + (PromptTokens + chunks) + "}";
        string end = usageInChoice
            // Moonshot's way: usage inside the last chunk's choice.
            ? Event($"{{\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"{finish}\",\"usage\":{usage}}}]}}") + "data: [DONE]\n\n"
            : Event($"{{\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"{finish}\"}}]}}") +
              Event("{\"choices\":[],\"usage\":" + usage + "}") +
              "data: [DONE]\n\n";
        Finishing();
        await WriteAsync(stream, $"{Encoding.UTF8.GetByteCount(end):x}\r\n{end}\r\n0\r\n\r\n", ct).ConfigureAwait(false);
    }

    private static string Delta(string text) => "{\"choices\":[{\"index\":0,\"delta\":{\"content\":" + JsonSerializer.Serialize(text) + "}}]}";

    private static string Event(string json) => "data: " + json + "\n\n";

    private static string Completion(string text, string finish) =>
        "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" + JsonSerializer.Serialize(text) +
        "},\"finish_reason\":\"" + finish + "\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":6,\"total_tokens\":18}}";

    private async Task WriteJsonAsync(NetworkStream stream, int status, string json, CancellationToken ct, string extraHeaders = "")
    {
        Finishing();
        int length = Encoding.UTF8.GetByteCount(json);
        await WriteAsync(stream, $"HTTP/1.1 {status} {ReasonOf(status)}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{extraHeaders}\r\n{json}", ct).ConfigureAwait(false);
    }

    private static string ReasonOf(int status) => status switch
    {
        200 => "OK",
        401 => "Unauthorized",
        408 => "Request Timeout",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };

    private static Task WriteChunkedAsync(NetworkStream stream, string data, CancellationToken ct) =>
        WriteAsync(stream, $"{Encoding.UTF8.GetByteCount(data):x}\r\n{data}\r\n", ct);

    private static async Task WriteAsync(NetworkStream stream, string text, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    // The client sends nothing more on a connection whose request is outstanding: a read ends only when it goes.
    private async Task WaitForClientToGoAsync(NetworkStream stream)
    {
        var buffer = new byte[256];
        while (await stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false) > 0)
        {
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
