using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;
using ExaiFast.Tests.Redis;

namespace ExaiFast.Tests.Logging;

/// <summary>
/// The token and every key never leave the daemon: the real executable, logging at trace to a file, is driven through
/// everything that handles a secret — hellos with a wrong and the right token, 401s on every door, <c>?token=</c> on
/// upgrade URLs, a token rotation, providers answering 401 with the key echoed in their error (as real APIs do), a Redis
/// URL with a password that cannot be reached — and then every byte it wrote (log file, stderr, stdout, HTTP heads and
/// bodies, WebSocket frames) is searched for any 8-character window of each secret.
/// </summary>
public class SecretsNeverLeakTests
{
    private const int Window = 8;

    [Fact]
    public async Task NoSecretReachesAnyOutput_AtTraceLevel()
    {
        var ct = TestContext.Current.CancellationToken;
        var secrets = new Dictionary<string, string>
        {
            ["token"] = Secret(), ["rotated token"] = Secret(), ["wrong token"] = Secret(),
            ["KIMI_API_KEY"] = Secret(), ["GLM_API_KEY"] = Secret(), ["OPENAI_COMPATIBLE_API_KEY"] = Secret(),
            ["Redis password"] = Secret(),
        };
        await using var fake = FakeOpenAIServer.Start();
        await using var collector = Tracing.OtlpReceiver.Start(); // the spans of every call, exported as an operator would
        fake.Behaviors["kimi-k2-turbo-preview"] = "401";
        fake.Behaviors["glm-4.5-flash"] = "401";
        var directory = Directory.CreateTempSubdirectory("exaifast-secrets-");
        string logFile = Path.Combine(directory.FullName, "daemon.log");
        using var noRedis = new RefusedPort();
        var seen = new StringBuilder(); // everything the daemon sent to this test
        try
        {
            await using (var daemon = ExaiFastProcess.Start(new Dictionary<string, string>
            {
                ["EXAI_WS_TOKEN"] = secrets["token"],
                ["KIMI_API_KEY"] = secrets["KIMI_API_KEY"],
                ["KIMI_API_URL"] = fake.BaseUrl.ToString(),
                ["GLM_API_KEY"] = secrets["GLM_API_KEY"],
                ["GLM_API_URL"] = fake.BaseUrl.ToString(),
                ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
                ["OPENAI_COMPATIBLE_API_KEY"] = secrets["OPENAI_COMPATIBLE_API_KEY"],
                ["OPENAI_COMPATIBLE_MODELS"] = "401",
                ["REDIS_URL"] = $"redis://:{secrets["Redis password"]}@127.0.0.1:{noRedis.Port}", // nothing listens there
                ["EXAIFAST_PROVIDER_RETRY_DELAY_SECS"] = "0.01",
                ["EXAIFAST_LOG_LEVEL"] = "trace",
                ["EXAIFAST_LOG_FILE"] = logFile,
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUrl.ToString(),
            }, "serve", "--port", "0"))
            {
                // Port 0: the daemon's own port, read from its log (it logs to the file, not to stderr).
                int port = await ListeningPortAsync(logFile, daemon, ct);
                await Readiness.WaitAsync(port, () => false, () => daemon.Stderr, ct);
                var ws = new Uri($"ws://127.0.0.1:{port}/");
                await DriveExaiWsAsync(ws, secrets, seen);
                await DriveHttpAsync(port, secrets, seen, ct);
                await DriveMcpWebSocketAsync(ws, secrets, seen, ct);

                await RedisDownLoggedAsync(logFile, ct); // the failure text of a connection made with the password

                daemon.Signal(15); // SIGTERM: a clean shutdown flushes the log file
                Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                seen.Append(daemon.Stdout).Append(daemon.Stderr);
            }

            // Every span the daemon exported (the calls to the providers that answered 401 among them).
            Assert.Contains(collector.Spans, s => s.Name == "chat 401" && (string?)s["error.type"] == "Unauthorized");
            foreach (byte[] exported in collector.Bodies)
            {
                seen.Append(Encoding.Latin1.GetString(exported));
            }

            string log = await File.ReadAllTextAsync(logFile, ct);
            Assert.Contains("Listening on", log, StringComparison.Ordinal);
            // The log saw the debug detail and the events that handle a secret (else "absent" would prove nothing).
            Assert.Contains(" DBG ", log, StringComparison.Ordinal);
            Assert.Contains("hello with a wrong token", log, StringComparison.Ordinal);
            Assert.Contains("failed a request for kimi-k2-turbo-preview", log, StringComparison.Ordinal);
            Assert.Contains("failed a request for 401", log, StringComparison.Ordinal);
            foreach (var (name, secret) in secrets)
            {
                AssertAbsent(name, secret, log, "the log file");
                AssertAbsent(name, secret, seen.ToString(), "what the daemon sent (frames, HTTP answers, stdout, stderr)");
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// OAuth mode: a client's access tokens (good, expired, tampered, of an unknown key) on every door, and tool calls made
    /// with a good one that reach a model provider. No piece of any of them is in the log (at trace), the daemon's answers,
    /// or — MCP forbids token passthrough — anything the provider received.
    /// </summary>
    [Fact]
    public async Task NoAccessToken_ReachesAnyOutput_OrAProvider_AtTraceLevel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = FakeOpenAIServer.Start();
        await using var issuer = OAuth.LocalIssuer.Start();
        var directory = Directory.CreateTempSubdirectory("exaifast-secrets-");
        string logFile = Path.Combine(directory.FullName, "daemon.log");
        const string audience = "https://mcp.example.test/mcp";
        var expired = issuer.Claims(audience);
        (expired["nbf"], expired["exp"]) = (0, 1);
        var tampered = issuer.SignRs256(issuer.Claims(audience, "read")).Split('.');
        using var stranger = RSA.Create(2048);
        int port = FreePort.Next();
        var tokens = new Dictionary<string, string>
        {
            ["good RS256 token"] = issuer.SignRs256(issuer.Claims(audience)),
            ["good ES256 token"] = issuer.SignEs256(issuer.Claims(audience)),
            ["expired token"] = issuer.SignRs256(expired),
            ["tampered token"] = tampered[0] + "." + OAuth.LocalIssuer.Encode(issuer.Claims(audience, "admin")) + "." + tampered[2],
            ["unknown key's token"] = issuer.SignRs256(issuer.Claims(audience), "stranger", stranger),
        };
        var seen = new StringBuilder();
        try
        {
            await using (var daemon = ExaiFastProcess.Start(new Dictionary<string, string>
            {
                ["EXAIFAST_OAUTH_ISSUER"] = issuer.Issuer,
                ["EXAIFAST_OAUTH_AUDIENCE"] = audience,
                ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
                ["OPENAI_COMPATIBLE_MODELS"] = "answer",
                ["EXAIFAST_LOG_LEVEL"] = "trace",
                ["EXAIFAST_LOG_FILE"] = logFile,
            }, "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                await Readiness.WaitAsync(port, () => false, () => daemon.Stderr, ct); // it logs to the file, so stderr names no port
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
                var initialize = Request(1, "initialize", new JsonObject
                {
                    ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "secrets", ["version"] = "1" },
                });
                foreach (var (name, token) in tokens)
                {
                    bool good = name.StartsWith("good", StringComparison.Ordinal);
                    using var init = await http.SendAsync(Post(initialize, token), ct);
                    Assert.Equal(good ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, init.StatusCode);
                    await AppendAsync(seen, init, ct);
                    if (good)
                    {
                        // A call that reaches the provider, made with the client's token.
                        using var call = await http.SendAsync(Post(Request(2, "tools/call", new JsonObject
                        {
                            ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "hi", ["model"] = "answer" },
                        }), token, Assert.Single(init.Headers.GetValues("Mcp-Session-Id"))), ct);
                        Assert.Contains(FakeOpenAIServer.Answer, await AppendAsync(seen, call, ct), StringComparison.Ordinal);
                    }

                    var ws = new Uri($"ws://127.0.0.1:{port}/");
                    await using (var hello = await ExaiWsClient.ConnectAsync(ws, hello: false))
                    {
                        await hello.SendAsync(new JsonObject { ["op"] = "hello", ["token"] = token });
                        Assert.Equal(good, (bool?)(await hello.OpAsync("hello_ack"))["ok"] == true);
                        if (good)
                        {
                            await hello.CallAsync("c", "chat", new JsonObject { ["prompt"] = "hi", ["model"] = "answer" });
                            Assert.True((bool)(await hello.ResultAsync("c", 60_000))["ok"]!);
                        }

                        Append(seen, hello);
                    }

                    using var upgrade = new ClientWebSocket();
                    upgrade.Options.AddSubProtocol("mcp");
                    upgrade.Options.SetRequestHeader("Authorization", "Bearer " + token);
                    upgrade.Options.CollectHttpResponseDetails = true;
                    if (good)
                    {
                        await upgrade.ConnectAsync(ws, ct);
                        await upgrade.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                    }
                    else
                    {
                        await Assert.ThrowsAsync<WebSocketException>(() => upgrade.ConnectAsync(ws, ct));
                        seen.AppendLine(string.Join("\n", upgrade.HttpResponseHeaders?.Select(h => h.Key + ": " + string.Join(", ", h.Value)) ?? []));
                    }
                }

                daemon.Signal(15);
                Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                seen.Append(daemon.Stdout).Append(daemon.Stderr);
            }

            var upstream = new StringBuilder();
            foreach (var (headers, body) in fake.Requests)
            {
                upstream.AppendJoin('\n', headers.Select(h => h.Key + ": " + h.Value)).AppendLine().AppendLine(body.ToJsonString());
            }

            Assert.Equal(4, fake.Requests.Count); // each good token's two calls reached the provider
            string log = await File.ReadAllTextAsync(logFile, ct);
            Assert.Contains("signing keys of OAuth issuer", log, StringComparison.Ordinal);
            Assert.Contains(" DBG ", log, StringComparison.Ordinal);
            foreach (var (name, token) in tokens)
            {
                AssertAbsent(name, token, log, "the log file");
                AssertAbsent(name, token, seen.ToString(), "what the daemon sent (frames, HTTP answers, stdout, stderr)");
                AssertAbsent(name, token, upstream.ToString(), "what the model provider received");
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>exai-ws: a hello with the wrong token, then the right one; calls to every provider, each answering 401 with
    /// its key echoed; a token rotation and a hello with the new token; the status tool.</summary>
    private static async Task DriveExaiWsAsync(Uri ws, Dictionary<string, string> secrets, StringBuilder seen)
    {
        await using (var refused = await ExaiWsClient.ConnectAsync(ws, hello: false))
        {
            await refused.SendAsync(new JsonObject { ["op"] = "hello", ["token"] = secrets["wrong token"] });
            var nack = await refused.NextAsync();
            Assert.False((bool?)nack["ok"] ?? false, nack.ToJsonString());
            await refused.ClosedAsync();
            Append(seen, refused);
        }

        await using (var client = await ExaiWsClient.ConnectAsync(ws, token: secrets["token"]))
        {
            foreach (string model in new[] { "kimi-k2-turbo-preview", "glm-4.5-flash", "401" })
            {
                await client.CallAsync(model, "chat", new JsonObject { ["prompt"] = "hi", ["model"] = model });
                var result = await client.ResultAsync(model, 60_000);
                Assert.False((bool)result["ok"]!, result.ToJsonString());
            }

            await client.CallAsync("status", "status");
            Assert.True((bool)(await client.ResultAsync("status"))["ok"]!);
            await client.SendAsync(new JsonObject { ["op"] = "rotate_token", ["old"] = secrets["token"], ["new"] = secrets["rotated token"] });
            var rotated = await client.OpAsync("rotate_token_res");
            Assert.True((bool)rotated["ok"]!, rotated.ToJsonString());
            Append(seen, client);
        }

        await using var afterRotation = await ExaiWsClient.ConnectAsync(ws, token: secrets["rotated token"]);
        Append(seen, afterRotation);
    }

    /// <summary>HTTP: the status pages, then MCP Streamable HTTP refused without a token and with a wrong one, and a
    /// session with the rotated token whose tool call meets the echoing 401.</summary>
    private static async Task DriveHttpAsync(int port, Dictionary<string, string> secrets, StringBuilder seen, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        foreach (string path in new[] { "health", "ready", "metrics" })
        {
            using var page = await http.GetAsync(path, ct);
            await AppendAsync(seen, page, ct);
        }

        var initialize = Request(1, "initialize", new JsonObject
        {
            ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "secrets", ["version"] = "1" },
        });
        foreach (string? bearer in new[] { null, secrets["wrong token"], secrets["token"] }) // the old token no longer works either
        {
            using var refused = await http.SendAsync(Post(initialize, bearer), ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            await AppendAsync(seen, refused, ct);
        }

        using var init = await http.SendAsync(Post(initialize, secrets["rotated token"]), ct);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        await AppendAsync(seen, init, ct);
        string session = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        using var call = await http.SendAsync(Post(Request(2, "tools/call", new JsonObject
        {
            ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "hi", ["model"] = "401" },
        }), secrets["rotated token"], session), ct);
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        string body = await AppendAsync(seen, call, ct);
        Assert.Contains("\"isError\":true", body, StringComparison.Ordinal);

        // The dashboard: its page, its data refused without the token, and its data with it.
        using var dashboardPage = await http.GetAsync("dashboard", ct);
        await AppendAsync(seen, dashboardPage, ct);
        using var anonymous = await http.GetAsync("dashboard/data", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        await AppendAsync(seen, anonymous, ct);
        using var data = new HttpRequestMessage(HttpMethod.Get, "dashboard/data");
        data.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secrets["rotated token"]);
        using var dashboard = await http.SendAsync(data, ct);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("401", await AppendAsync(seen, dashboard, ct), StringComparison.Ordinal); // the failing model is in it
    }

    /// <summary>MCP over WebSocket: upgrades refused without a token and with a wrong one in the URL, then one with the
    /// rotated token in the URL that lists the tools.</summary>
    private static async Task DriveMcpWebSocketAsync(Uri ws, Dictionary<string, string> secrets, StringBuilder seen, CancellationToken ct)
    {
        foreach (string? token in new[] { null, secrets["wrong token"] })
        {
            using var refused = new ClientWebSocket();
            refused.Options.AddSubProtocol("mcp");
            refused.Options.CollectHttpResponseDetails = true;
            var uri = token is null ? ws : new Uri(ws, "/?token=" + token);
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(uri, ct));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.HttpStatusCode);
        }

        await using var client = await ExaiWsClient.ConnectAsync(new Uri(ws, "/?token=" + secrets["rotated token"]), hello: false, subprotocol: "mcp");
        await client.SendAsync(Request(1, "initialize", new JsonObject
        {
            ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "secrets", ["version"] = "1" },
        }));
        Assert.NotNull((await client.NextAsync())["result"]);
        await client.SendAsync(Request(2, "tools/list", new JsonObject()));
        Assert.NotNull((await client.NextAsync())["result"]);
        Append(seen, client);
    }

    private static async Task RedisDownLoggedAsync(string logFile, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(File.Exists(logFile) && (await File.ReadAllTextAsync(logFile, ct)).Contains("Redis down", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the daemon never logged that Redis is down");
            await Task.Delay(100, ct);
        }
    }

    private static async Task<int> ListeningPortAsync(string logFile, ExaiFastProcess daemon, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (File.Exists(logFile) && ExaiFastProcess.ListeningPort(await File.ReadAllTextAsync(logFile, ct)) is { } port)
            {
                return port;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the daemon never logged the port it listens on; stderr:\n{daemon.Stderr}");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>Fails when <paramref name="text"/> holds any 8-character window of <paramref name="secret"/>, showing where.</summary>
    internal static void AssertAbsent(string name, string secret, string text, string where)
    {
        for (int i = 0; i + Window <= secret.Length; i++)
        {
            int at = text.IndexOf(secret.Substring(i, Window), StringComparison.Ordinal);
            if (at >= 0)
            {
                string context = text.Substring(Math.Max(0, at - 120), Math.Min(240 + Window, text.Length - Math.Max(0, at - 120)));
                Assert.Fail($"{where} holds 8 characters of the {name} (offset {i} of it), here:\n{context}");
            }
        }
    }

    // 32 random hex digits: no 8-character window of one can turn up by chance in what the daemon writes.
    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static JsonObject Request(int id, string method, JsonObject parameters) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters };

    private static HttpRequestMessage Post(JsonObject message, string? bearer, string? session = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "mcp")
        {
            Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return request;
    }

    private static void Append(StringBuilder seen, ExaiWsClient client)
    {
        foreach (var frame in client.All)
        {
            seen.AppendLine(frame.ToJsonString());
        }
    }

    private static async Task<string> AppendAsync(StringBuilder seen, HttpResponseMessage response, CancellationToken ct)
    {
        string body = await response.Content.ReadAsStringAsync(ct);
        seen.AppendLine(response.ToString()).AppendLine(body);
        return body;
    }
}
