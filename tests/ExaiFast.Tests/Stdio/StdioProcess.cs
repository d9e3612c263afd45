using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.Stdio;

/// <summary>
/// The real <c>exaifast stdio</c>, started by <see cref="ExaiFastProcess"/>: JSON lines written to its stdin, every
/// stdout line parsed (one that is not a JSON-RPC 2.0 object fails the test at <see cref="DisposeAsync"/>), stderr kept
/// for messages.
/// </summary>
internal sealed class StdioProcess : IAsyncDisposable
{
    private readonly ExaiFastProcess _process;
    private readonly List<JsonObject> _messages = [];
    private readonly List<string> _badLines = [];
    private readonly SemaphoreSlim _arrived = new(0);

    private StdioProcess(Func<Action<string>, ExaiFastProcess> start) => _process = start(OnStdoutLine);

    public int Pid => _process.Pid;

    public string Stderr => _process.Stderr;

    /// <summary>Every message read so far, in order.</summary>
    public List<JsonObject> Messages { get { lock (_messages) { return _messages.ToList(); } } }

    /// <summary>Starts <c>exaifast stdio</c> with <paramref name="environment"/> as its whole configuration.</summary>
    public static StdioProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        new(onLine => ExaiFastProcess.Start(environment, ["stdio", .. args], onLine));

    /// <summary>
    /// Starts <paramref name="command"/> as an MCP client's config names it: env(1) looks it up on the PATH of
    /// <paramref name="environment"/> (Process.Start would search this process's PATH instead).
    /// </summary>
    public static StdioProcess StartCommand(IReadOnlyDictionary<string, string> environment, string command, params string[] args) =>
        new(onLine => ExaiFastProcess.StartCommand(environment, command, args, onLine));

    /// <summary>Writes one line to stdin (a JSON object, or any text).</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteAsync(line + "\n");
        await _process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Writes raw bytes to stdin (invalid UTF-8 included), after whatever text was written before.</summary>
    public async Task WriteBytesAsync(byte[] bytes)
    {
        await _process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
        await _process.StandardInput.BaseStream.WriteAsync(bytes, TestContext.Current.CancellationToken);
        await _process.StandardInput.BaseStream.FlushAsync(TestContext.Current.CancellationToken);
    }

    public Task SendAsync(JsonObject message) => WriteLineAsync(message.ToJsonString());

    public Task RequestAsync(object id, string method, JsonObject? parameters = null)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = JsonValue.Create(id), ["method"] = method };
        if (parameters is not null)
        {
            message["params"] = parameters;
        }

        return SendAsync(message);
    }

    public Task CallAsync(object id, string prompt, int latencyMs = 0, string? progressToken = null, string tool = "chat")
    {
        var arguments = new JsonObject { ["prompt"] = prompt };
        if (latencyMs > 0)
        {
            arguments["local_latency_ms"] = latencyMs;
        }

        var parameters = new JsonObject { ["name"] = tool, ["arguments"] = arguments };
        if (progressToken is not null)
        {
            parameters["_meta"] = new JsonObject { ["progressToken"] = progressToken };
        }

        return RequestAsync(id, "tools/call", parameters);
    }

    public async Task InitializeAsync()
    {
        await RequestAsync("init", "initialize", new JsonObject
        {
            ["protocolVersion"] = "2025-11-25",
            ["capabilities"] = new JsonObject(),
            ["clientInfo"] = new JsonObject { ["name"] = "stdio-tests", ["version"] = "1" },
        });
        var init = await ResponseAsync("init");
        Assert.Equal("2025-11-25", (string?)init["result"]!["protocolVersion"]);
        await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" });
    }

    /// <summary>The response with this id (a string id compares as a string, a number as a number).</summary>
    public Task<JsonObject> ResponseAsync(object id, int timeoutMs = 30_000) =>
        WaitForAsync(m => m["method"] is null && m["id"] is { } i && i.ToJsonString() == JsonValue.Create(id)!.ToJsonString(), $"the response to {id}", timeoutMs);

    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, string what, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            if (Messages.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"timed out waiting for {what}; stdout: {string.Join("\n", Messages.Select(m => m.ToJsonString()))}\nstderr: {Stderr}");
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        }
    }

    public List<JsonObject> ProgressOf(string token) =>
        Messages.Where(m => (string?)m["method"] == "notifications/progress" && (string?)m["params"]!["progressToken"] == token).ToList();

    public void CloseStdin() => _process.CloseStdin();

    public void Signal(int signal) => _process.Signal(signal);

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>Kills the process if it still runs, then asserts that every stdout line was a JSON-RPC 2.0 message.</summary>
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        lock (_badLines)
        {
            Assert.True(_badLines.Count == 0, "stdout carried something that is not a JSON-RPC message: " + string.Join("\n", _badLines));
        }
    }

    private void OnStdoutLine(string line)
    {
        JsonObject? message = null;
        try
        {
            message = JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
        }

        if (message is null || (string?)message["jsonrpc"] != "2.0")
        {
            lock (_badLines)
            {
                _badLines.Add(line);
            }

            return;
        }

        lock (_messages)
        {
            _messages.Add(message);
        }

        _arrived.Release();
    }
}
