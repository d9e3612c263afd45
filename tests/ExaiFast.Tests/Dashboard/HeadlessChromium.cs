using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.Dashboard;

/// <summary>
/// A real headless Chromium (the Debian package <c>chromium</c>, installed by scripts/setup.sh) with a profile of its
/// own, driven over the DevTools protocol: one page, commands over a BCL <see cref="ClientWebSocket"/>.
/// </summary>
/// <remarks>
/// Why the protocol rather than <c>--dump-dom</c> after a virtual-time budget: the tests watch numbers change while they
/// make calls, which one dump at the end cannot see, and polling the live DOM needs no guess of how long anything takes.
/// </remarks>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private const int StartTimeoutMs = 30_000;

    private readonly Process _process;
    private readonly string _profile;
    private readonly StringBuilder _stderr;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private int _nextId;

    private HeadlessChromium(Process process, string profile, StringBuilder stderr)
    {
        _process = process;
        _profile = profile;
        _stderr = stderr;
    }

    /// <summary>What Chromium wrote to stderr so far (for failure messages).</summary>
    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    public static async Task<HeadlessChromium> StartAsync()
    {
        string executable = FindExecutable();
        string profile = Directory.CreateTempSubdirectory("exaifast-chromium-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0", $"--user-data-dir={profile}",
                     "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                     "--window-size=1280,1000", "about:blank"])
        {
            start.ArgumentList.Add(arg);
        }

        var stderr = new StringBuilder();
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var browser = new HeadlessChromium(process, profile, stderr);
        try
        {
            await browser.ConnectAsync();
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one command and returns its <c>result</c>; a protocol error fails the test with its message.</summary>
    public async Task<JsonObject> SendAsync(string method, JsonObject? parameters = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var command = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(command.ToJsonString()), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var message = await reply.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        if (message["error"] is { } error)
        {
            throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
        }

        return message["result"]!.AsObject();
    }

    public Task NavigateAsync(string url) => SendAsync("Page.navigate", new JsonObject { ["url"] = url });

    /// <summary>The value of a JavaScript expression in the page (JSON-able values only).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"'{expression}' threw: {exception.ToJsonString()}");
        }

        return result["result"]!["value"]?.DeepClone();
    }

    /// <summary>A JavaScript string expression's value, or null when it is not a string (an element not there yet).</summary>
    public async Task<string?> TextAsync(string expression) =>
        await EvaluateAsync(expression) is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    /// <summary>
    /// Polls <paramref name="expression"/> until <paramref name="done"/> holds, within a generous bound (a loaded machine
    /// is slow, never wrong); the failure names what was awaited and the last value seen.
    /// </summary>
    public async Task<string> WaitForAsync(string expression, Func<string, bool> done, string what, int timeoutMs = 60_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        string? last = null;
        while (true)
        {
            last = await TextAsync(expression);
            if (last is not null && done(last))
            {
                return last;
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"waited {timeoutMs} ms for {what}; '{expression}' was '{last}'");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A PNG of the page as it is now.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String((string)result["data"]!);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Abort();
        _socket.Dispose();
        try
        {
            await _receiving;
        }
        catch (Exception)
        {
            // the receive loop ends with the socket
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        _stop.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // a file Chromium was still closing: the temporary folder is cleaned up by the system
        }
    }

    private static string FindExecutable()
    {
        foreach (string candidate in (string[])["/usr/bin/chromium", "/usr/bin/chromium-browser"])
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("Chromium is not installed (/usr/bin/chromium): scripts/setup.sh installs the Debian package 'chromium'");
    }

    // Chromium picks a free port for --remote-debugging-port=0 and writes it to DevToolsActivePort in its profile.
    private async Task ConnectAsync()
    {
        string portFile = Path.Combine(_profile, "DevToolsActivePort");
        long deadline = Environment.TickCount64 + StartTimeoutMs;
        string[] lines = [];
        while (lines.Length < 2)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Chromium exited ({_process.ExitCode}) before listening:\n{Stderr}");
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Chromium wrote no DevToolsActivePort within {StartTimeoutMs} ms:\n{Stderr}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
            try
            {
                lines = File.Exists(portFile) ? await File.ReadAllLinesAsync(portFile, TestContext.Current.CancellationToken) : [];
            }
            catch (IOException)
            {
                lines = []; // being written
            }
        }

        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{lines[0].Trim()}/json/list", TestContext.Current.CancellationToken))!.AsArray();
        var page = targets.FirstOrDefault(t => (string?)t!["type"] == "page")
            ?? throw new InvalidOperationException("Chromium has no page target: " + targets.ToJsonString());
        await _socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), TestContext.Current.CancellationToken);
        _receiving = ReceiveAsync();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            await ReceiveMessagesAsync(buffer, message);
        }
        finally
        {
            foreach (var reply in _pending.Values)
            {
                reply.TrySetException(new InvalidOperationException("the DevTools connection ended:\n" + Stderr));
            }
        }
    }

    private async Task ReceiveMessagesAsync(byte[] buffer, MemoryStream message)
    {
        while (!_stop.IsCancellationRequested)
        {
            var received = await _socket.ReceiveAsync(buffer, _stop.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            message.Write(buffer, 0, received.Count);
            if (!received.EndOfMessage)
            {
                continue;
            }

            var json = JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length))!.AsObject();
            message.SetLength(0);
            if (json["id"] is { } id && _pending.TryRemove((int)id, out var reply))
            {
                reply.TrySetResult(json);
            }

            // Events (no id) are not needed: the tests poll the DOM.
        }
    }
}
