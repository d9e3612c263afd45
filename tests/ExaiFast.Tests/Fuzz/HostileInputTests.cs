using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Stdio;

namespace ExaiFast.Tests.Fuzz;

/// <summary>
/// Hostile messages on every door — MCP over Streamable HTTP, WebSocket and stdio (in process, and bridged to a daemon),
/// and exai-ws: mutants of valid messages (<see cref="HostileJson"/>), each followed on the same connection by a ping
/// that must be answered. No answer may be a 5xx, a JSON-RPC internal error (-32603) or an <c>INTERNAL_ERROR</c>, and
/// the daemon may log no error and no stack trace: a client's mistake is the client's, and must not flood the log.
/// </summary>
/// <remarks>
/// Reproducible: the seed is fixed (<c>EXAIFAST_FUZZ_SEED</c> picks another, <c>EXAIFAST_FUZZ_MESSAGES</c> another
/// count) and every failure names it, with the message that caused it.
/// </remarks>
public class HostileInputTests
{
    private const string Token = "fuzz-token";
    private const string BothTypes = "application/json, text/event-stream";

    private static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("EXAIFAST_FUZZ_SEED"), CultureInfo.InvariantCulture, out int seed) ? seed : 20261206;

    private static int Messages(int standard) =>
        int.TryParse(Environment.GetEnvironmentVariable("EXAIFAST_FUZZ_MESSAGES"), CultureInfo.InvariantCulture, out int n) ? n : standard;

    private static Dictionary<string, string> DaemonEnv() => new()
    {
        ["EXAI_WS_TOKEN"] = Token,
        ["EXAIFAST_LOG_LEVEL"] = "debug",
        ["EXAIFAST_LOG_QUEUE"] = "1000000", // a dropped entry could be the error line this looks for
        ["EXAIFAST_CONFORMANCE_TOOLS"] = "true",
        ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "0",
    };

    [Fact]
    public async Task McpOverHttp_HostileMessages_GetNoInternalError_AndTheSessionKeepsAnswering()
    {
        var run = new Run(nameof(McpOverHttp_HostileMessages_GetNoInternalError_AndTheSessionKeepsAnswering));
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(DaemonEnv(), log: log))
        {
            using var http = new HttpClient();
            var ct = TestContext.Current.CancellationToken;
            using var init = await http.SendAsync(Post(daemon, Bytes(ValidMessages.Initialize())), ct);
            string session = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
            using var list = await http.SendAsync(Post(daemon, Bytes(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = "list", ["method"] = "tools/list" }), session), ct);
            var templates = ValidMessages.Mcp((await McpAnswersAsync(list))[0]["result"]!["tools"]!.AsArray());

            for (int i = 0; i < Messages(400); i++)
            {
                var (_, bytes) = run.Next(templates, i, WithMcpId);
                bool stateless = run.Fuzz.Next(4) == 0;
                using var response = await http.SendAsync(Post(daemon, bytes, stateless ? null : session), ct);
                run.Check((int)response.StatusCode < 500, i, $"HTTP {(int)response.StatusCode}");
                foreach (var answer in await McpAnswersAsync(response))
                {
                    run.Check(McpFault(answer) is null, i, McpFault(answer));
                }

                using var ping = await http.SendAsync(Post(daemon, Bytes(Ping($"barrier-{i}")), session), ct);
                run.Check(ping.StatusCode == HttpStatusCode.OK && (await McpAnswersAsync(ping)) is [{ } pong] && pong["result"] is JsonObject, i, $"the session stopped answering a ping ({(int)ping.StatusCode})");
            }

            await Idle(daemon, run);
            using var after = await http.SendAsync(Post(daemon, Bytes(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = "after", ["method"] = "tools/list" }), session), ct);
            Assert.NotNull((await McpAnswersAsync(after))[0]["result"]!["tools"]);
        }

        run.CheckLog(log.Lines);
    }

    [Fact]
    public async Task McpOverWebSocket_HostileMessages_GetNoInternalError_AndTheConnectionKeepsAnswering()
    {
        var run = new Run(nameof(McpOverWebSocket_HostileMessages_GetNoInternalError_AndTheConnectionKeepsAnswering));
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(DaemonEnv(), log: log))
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp", bearer: Token);
            await client.SendAsync(ValidMessages.Initialize());
            Assert.NotNull((await client.NextAsync())["result"]);
            await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = "list", ["method"] = "tools/list" });
            var templates = ValidMessages.Mcp((await client.NextAsync())["result"]!["tools"]!.AsArray());

            for (int i = 0; i < Messages(400); i++)
            {
                var (_, bytes) = run.Next(templates, i, WithMcpId);
                await SendAsync(client, bytes);
                await client.SendAsync(Ping($"barrier-{i}"));
                await run.AnsweredAsync(client.WaitForAsync(f => IdIs(f, $"barrier-{i}")), i);
            }

            await Idle(daemon, run);
            await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = "after", ["method"] = "tools/list" });
            Assert.NotNull((await client.WaitForAsync(f => IdIs(f, "after")))["result"]!["tools"]);
            foreach (var answer in client.All)
            {
                run.CheckAnswer(McpFault(answer), answer);
            }
        }

        run.CheckLog(log.Lines);
    }

    [Fact]
    public async Task ExaiWs_HostileFrames_GetNoInternalError_AndTheConnectionKeepsAnswering()
    {
        var run = new Run(nameof(ExaiWs_HostileFrames_GetNoInternalError_AndTheConnectionKeepsAnswering));
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(DaemonEnv(), log: log))
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, token: Token);
            await client.SendAsync(new JsonObject { ["op"] = "list_tools", ["request_id"] = "list" });
            var templates = ValidMessages.ExaiWs((await client.OpAsync("list_tools_res"))["tools"]!.AsArray());

            for (int i = 0; i < Messages(400); i++)
            {
                var (_, bytes) = run.Next(templates, i, WithRequestId);
                await SendAsync(client, bytes);
                await client.SendAsync(new JsonObject { ["op"] = "ping", ["request_id"] = $"barrier-{i}" });
                await run.AnsweredAsync(client.WaitForAsync(f => (string?)f["op"] == "pong" && IdIs(f, $"barrier-{i}", "request_id")), i);
            }

            await Idle(daemon, run);
            await client.SendAsync(new JsonObject { ["op"] = "list_tools", ["request_id"] = "after" });
            Assert.NotNull((await client.WaitForAsync(f => IdIs(f, "after", "request_id")))["tools"]);
            foreach (var frame in client.All)
            {
                run.CheckAnswer(ExaiWsFault(frame), frame);
            }
        }

        run.CheckLog(log.Lines);
    }

    [Fact]
    public async Task ExaiWs_HostileHellos_AreRefusedOrAcked_NeverAnInternalError()
    {
        var run = new Run(nameof(ExaiWs_HostileHellos_AreRefusedOrAcked_NeverAnInternalError));
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(DaemonEnv(), log: log))
        {
            var templates = new List<JsonObject> { ValidMessages.Hello(Token) };
            for (int i = 0; i < Messages(400) / 10; i++)
            {
                var (_, bytes) = run.Next(templates, i, static (m, _) => m);
                await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false);
                await SendAsync(client, bytes);
                var ack = await run.AnsweredAsync(client.NextAsync(), i);
                run.Check((string?)ack["op"] == "hello_ack", i, $"a hello got {ack.ToJsonString()}");
                if ((bool?)ack["ok"] == true)
                {
                    await client.SendAsync(new JsonObject { ["op"] = "ping", ["request_id"] = "after" });
                    await run.AnsweredAsync(client.WaitForAsync(f => IdIs(f, "after", "request_id")), i);
                }
                else
                {
                    run.Check(await client.ClosedAsync() is not null, i, "a refused hello left the connection open");
                }
            }
        }

        run.CheckLog(log.Lines);
    }

    [Fact]
    public async Task McpOverStdio_InProcess_HostileLines_GetNoInternalError_AndTheBridgeKeepsAnswering()
    {
        var run = new Run(nameof(McpOverStdio_InProcess_HostileLines_GetNoInternalError_AndTheBridgeKeepsAnswering));
        var env = new Dictionary<string, string>(DaemonEnv()) { ["EXAI_WS_PORT"] = StdioBridgeTests.FreePort().ToString(CultureInfo.InvariantCulture) };
        await StdioAsync(run, StdioProcess.Start(env, "--in-process"), Messages(400) / 2);
    }

    [Fact]
    public async Task McpOverStdio_Bridged_HostileLines_GetNoInternalError_NeitherFromTheBridgeNorTheDaemon()
    {
        var run = new Run(nameof(McpOverStdio_Bridged_HostileLines_GetNoInternalError_NeitherFromTheBridgeNorTheDaemon));
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(DaemonEnv(), log: log))
        {
            var env = new Dictionary<string, string>(DaemonEnv()) { ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(CultureInfo.InvariantCulture) };
            await StdioAsync(run, StdioProcess.Start(env), Messages(400) / 2);
            await Idle(daemon, run);
        }

        run.CheckLog(log.Lines);
    }

    private static async Task StdioAsync(Run run, StdioProcess started, int messages)
    {
        await using var stdio = started;
        await stdio.InitializeAsync();
        await stdio.RequestAsync("list", "tools/list");
        var templates = ValidMessages.Mcp((await stdio.ResponseAsync("list"))["result"]!["tools"]!.AsArray());
        for (int i = 0; i < messages; i++)
        {
            var (_, bytes) = run.Next(templates, i, WithMcpId);
            await stdio.WriteBytesAsync([.. bytes, (byte)'\n']);
            await stdio.RequestAsync($"barrier-{i}", "ping");
            await run.AnsweredAsync(stdio.ResponseAsync($"barrier-{i}"), i);
        }

        await stdio.RequestAsync("after", "tools/list");
        Assert.NotNull((await stdio.ResponseAsync("after"))["result"]!["tools"]);
        stdio.CloseStdin();
        Assert.Equal(0, await stdio.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        foreach (var answer in stdio.Messages)
        {
            run.CheckAnswer(McpFault(answer), answer);
        }

        run.CheckLog(stdio.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Why an MCP answer is a fault: a JSON-RPC internal error, or a tool's <c>INTERNAL_ERROR</c>; null if not.</summary>
    private static string? McpFault(JsonObject answer) =>
        answer["error"] is JsonObject error && error["code"]?.ToJsonString() == "-32603" ? "a JSON-RPC internal error (-32603)"
        : answer["result"] is JsonObject { } result && result["_meta"] is JsonObject meta && meta["exaifast/error"] is JsonObject e
            && e["code"]?.ToJsonString() == "\"INTERNAL_ERROR\"" ? "a tool call's INTERNAL_ERROR"
        : null;

    private static string? ExaiWsFault(JsonObject frame) =>
        frame["error"] is JsonObject error && error["code"]?.ToJsonString() == "\"INTERNAL_ERROR\"" ? $"an INTERNAL_ERROR ({frame["op"]?.ToJsonString()})" : null;

    // Fresh ids per message, so that an answer names the message it answers (a number or a string, as clients send).
    private static JsonObject WithMcpId(JsonObject template, int i)
    {
        if (template.ContainsKey("id") && template.ContainsKey("method"))
        {
            template["id"] = i % 2 == 0 ? i : $"m{i}";
        }

        return template;
    }

    private static JsonObject WithRequestId(JsonObject template, int i)
    {
        if (template.ContainsKey("request_id"))
        {
            template["request_id"] = $"m{i}";
        }

        return template;
    }

    // An answer may carry any id a mutant gave (a number, a string): compared as JSON, never converted.
    private static bool IdIs(JsonObject answer, string id, string member = "id") =>
        answer[member] is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() == id;

    private static JsonObject Ping(string id) => new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "ping" };

    private static byte[] Bytes(JsonObject message) => Encoding.UTF8.GetBytes(message.ToJsonString());

    // A WebSocket text message must be UTF-8 (else the connection closes with 1007, as RFC 6455 says); invalid bytes go
    // in a binary message, which the doors parse too.
    private static Task SendAsync(ExaiWsClient client, byte[] bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes) ? client.SendBytesAsync(bytes) : client.SendBinaryAsync(bytes);

    private static HttpRequestMessage Post(Daemon daemon, byte[] body, string? session = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Accept", BothTypes);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return request;
    }

    /// <summary>The JSON-RPC messages of an HTTP response: its JSON body, or each event of its SSE stream.</summary>
    private static async Task<List<JsonObject>> McpAnswersAsync(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return response.Content.Headers.ContentType?.MediaType switch
        {
            "application/json" => [JsonNode.Parse(body)!.AsObject()],
            "text/event-stream" => body.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[5..])!.AsObject()).ToList(),
            _ => [],
        };
    }

    // The calls the mutants started end (on the local model, at once): their answers are checked too.
    private static Task Idle(Daemon daemon, Run run) =>
        ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.Queued == 0, 30_000, $"calls still in flight after the fuzz ({run.Seed})");

    /// <summary>One seeded run: the messages sent, and the failures told with the seed and the message that caused them.</summary>
    private sealed class Run(string test)
    {
        private readonly List<(string Kind, byte[] Bytes)> _sent = [];

        public int Seed { get; } = HostileInputTests.Seed;

        public HostileJson Fuzz { get; } = new(HostileInputTests.Seed);

        /// <summary>Message <paramref name="i"/>: a mutant of a template picked at random.</summary>
        public (string Kind, byte[] Bytes) Next(List<JsonObject> templates, int i, Func<JsonObject, int, JsonObject> prepare)
        {
            var template = prepare(templates[Fuzz.Next(templates.Count)].DeepClone().AsObject(), i);
            var mutant = Fuzz.Mutate(template);
            _sent.Add(mutant);
            return mutant;
        }

        public void Check(bool ok, int i, string? what)
        {
            if (!ok)
            {
                Assert.Fail($"{what}\n{Tell(i)}");
            }
        }

        public async Task<JsonObject> AnsweredAsync(Task<JsonObject> answer, int i)
        {
            try
            {
                return await answer;
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                Assert.Fail($"no answer on the same connection after a hostile message: {ex.Message}\n{Tell(i)}");
                throw;
            }
        }

        /// <summary>A fault found among all answers: the message it answers is found by its id, when it kept one.</summary>
        public void CheckAnswer(string? fault, JsonObject answer)
        {
            if (fault is null)
            {
                return;
            }

            string? id = answer["id"]?.ToJsonString().Trim('"') ?? (string?)answer["request_id"];
            int i = id is null ? -1 : int.TryParse(id.TrimStart('m'), CultureInfo.InvariantCulture, out int n) ? n : -1;
            Assert.Fail($"{fault}: {Shorten(answer.ToJsonString())}\n{(i >= 0 && i < _sent.Count ? Tell(i) : $"seed {Seed}; the answer names no message of the run")}");
        }

        public void CheckLog(IReadOnlyCollection<string> lines)
        {
            Assert.True(lines.Count > 0, "the daemon's log was not captured: nothing to check");
            var failures = LogCapture.Failures(lines).Take(20).ToList();
            Assert.True(failures.Count == 0, $"the daemon logged an error for a client's mistake (seed {Seed}):\n{string.Join('\n', failures)}");
        }

        private string Tell(int i)
        {
            var (kind, bytes) = _sent[i];
            return $"seed {Seed} ({test}), message #{i}, {kind}: {Shorten(Show(bytes))}";
        }

        private static string Show(byte[] bytes) =>
            System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : "(not UTF-8) " + Encoding.Latin1.GetString(bytes);

        private static string Shorten(string s) => s.Length <= 400 ? s : s[..400] + $"… ({s.Length} chars)";
    }
}
