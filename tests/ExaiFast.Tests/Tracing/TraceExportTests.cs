using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Configuration;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Tracing;

/// <summary>
/// The real daemon exports OpenTelemetry traces over OTLP/HTTP to a collector this test hosts: a span per call under the
/// client's trace (an HTTP <c>traceparent</c>, or the request's own <c>_meta.traceparent</c>, which wins), a child per
/// model request and a grandchild per HTTP attempt, each with the attributes an operator filters by, flushed when the
/// daemon stops; a client's unsampled trace exports nothing; no secret reaches a span.
/// </summary>
public class TraceExportTests
{
    [Fact]
    public async Task CallsBecomeSpanTrees_UnderTheClientsTrace_WithModelRequestsAndAttempts()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var collector = OtlpReceiver.Start();
        await using var fake = FakeOpenAIServer.Start();
        string token = Secret(), key = Secret();
        var answers = new Dictionary<string, JsonObject>();
        var (retried, metaTrace, headerTrace, failed, unsampled, wsTrace) = (NewTrace(), NewTrace(), NewTrace(), NewTrace(), NewTrace(), NewTrace());
        await using (var daemon = ExaiFastProcess.Start(new Dictionary<string, string>
        {
            ["EXAI_WS_TOKEN"] = token,
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = key,
            ["OPENAI_COMPATIBLE_MODELS"] = "flaky-503,status-500,stream",
            ["EXAIFAST_PROVIDER_RETRY_DELAY_SECS"] = "0.01",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUrl.ToString(),
            ["OTEL_SERVICE_NAME"] = "exaifast-under-test",
        }, "serve", "--port", "0"))
        {
            int port = await daemon.WaitForReadyAsync();
            using var http = new HttpClient();
            answers["retried"] = await CallAsync(http, port, token, "flaky-503", header: retried.Parent(sampled: true));
            answers["meta"] = await CallAsync(http, port, token, "stream", header: headerTrace.Parent(sampled: true), meta: metaTrace.Parent(sampled: true));
            answers["failed"] = await CallAsync(http, port, token, "status-500", header: failed.Parent(sampled: true));
            answers["unsampled"] = await CallAsync(http, port, token, "stream", header: unsampled.Parent(sampled: false));
            answers["untraced"] = await CallAsync(http, port, token, "flaky-503", header: null);

            // MCP over WebSocket: a traced call, then an untraced one, on one connection.
            await using (var ws = await ExaiWsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), hello: false, subprotocol: "mcp", bearer: token))
            {
                foreach (var (id, trace) in new[] { (1, wsTrace.Parent(sampled: true)), (2, (string?)null) })
                {
                    var parameters = new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "hi", ["model"] = "stream" } };
                    if (trace is not null)
                    {
                        parameters["_meta"] = new JsonObject { ["traceparent"] = trace };
                    }

                    await ws.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call", ["params"] = parameters });
                    var answer = await ws.WaitForAsync(m => (int?)m["id"] == id, 30_000);
                    Assert.False(answer["result"]?["isError"]?.GetValue<bool>() ?? true, answer.ToJsonString());
                }
            }

            daemon.Signal(15); // the spans still batched are flushed as the daemon stops
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.Empty(collector.Unexpected);
        var spans = collector.Spans.ToList();
        Assert.All(spans, s => Assert.Equal("exaifast-under-test", s.Service));
        string all = string.Join("\n", spans.Select(s => $"{s.TraceId}/{s.SpanId}<{s.ParentSpanId} {s.Name}"));

        // A retried model request: call → model request → two attempts (503, then 200), usage on the call and the model span.
        Assert.False(answers["retried"]["isError"]?.GetValue<bool>() ?? false, answers["retried"].ToJsonString());
        var call = Assert.Single(spans, s => s.TraceId == retried.TraceId && s.Name == "tools/call chat");
        Assert.Equal(retried.SpanId, call.ParentSpanId);
        Assert.Equal(OtlpSpan.Server, call.Kind);
        Assert.Equal("chat", call["gen_ai.tool.name"]);
        Assert.Equal("tools/call", call["mcp.method.name"]);
        Assert.Equal("ok", call["exaifast.outcome"]);
        Assert.IsType<string>(call["exaifast.lane"]);
        Assert.IsType<double>(call["exaifast.queue_ms"]);
        Assert.Equal(12L, call["gen_ai.usage.input_tokens"]);
        Assert.Equal((long)fake.StreamChunks, call["gen_ai.usage.output_tokens"]);
        var model = Assert.Single(spans, s => s.ParentSpanId == call.SpanId);
        Assert.Equal("chat flaky-503", model.Name);
        Assert.Equal(OtlpSpan.Client, model.Kind);
        Assert.Equal("flaky-503", model["gen_ai.request.model"]);
        Assert.Equal(12L, model["gen_ai.usage.input_tokens"]);
        var attempts = spans.Where(s => s.ParentSpanId == model.SpanId).OrderBy(s => (long)s["exaifast.attempt"]!).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal(503L, attempts[0]["http.response.status_code"]);
        Assert.Equal(OtlpSpan.Error, attempts[0].StatusCode);
        Assert.Null(attempts[0]["http.request.resend_count"]);
        Assert.Equal(200L, attempts[1]["http.response.status_code"]);
        Assert.Equal(1L, attempts[1]["http.request.resend_count"]);
        Assert.All(attempts, a => Assert.Equal("127.0.0.1", a["server.address"]));

        // The request's own _meta.traceparent is the parent, not the POST's header.
        var metaCall = Assert.Single(spans, s => s.TraceId == metaTrace.TraceId && s.Name == "tools/call chat");
        Assert.Equal(metaTrace.SpanId, metaCall.ParentSpanId);
        Assert.DoesNotContain(spans, s => s.TraceId == headerTrace.TraceId);

        // A failing model: the call's outcome, the model span's failure kind, one attempt span per try, all errors.
        Assert.True(answers["failed"]["isError"]?.GetValue<bool>(), answers["failed"].ToJsonString());
        var failedCall = Assert.Single(spans, s => s.TraceId == failed.TraceId && s.Name == "tools/call chat");
        Assert.Equal("PROVIDER_ERROR", failedCall["exaifast.outcome"]);
        Assert.Equal(OtlpSpan.Error, failedCall.StatusCode);
        var failedModel = Assert.Single(spans, s => s.ParentSpanId == failedCall.SpanId);
        Assert.Equal("ServerError", failedModel["error.type"]);
        var failedAttempts = spans.Where(s => s.ParentSpanId == failedModel.SpanId).ToList();
        Assert.True(failedAttempts.Count >= 2, all);
        Assert.All(failedAttempts, a => Assert.Equal(500L, a["http.response.status_code"]));

        // A client's trace that is not sampled is not exported.
        Assert.False(answers["unsampled"]["isError"]?.GetValue<bool>() ?? false, answers["unsampled"].ToJsonString());
        Assert.DoesNotContain(spans, s => s.TraceId == unsampled.TraceId);

        // A call the client did not trace is a trace of its own, over HTTP and over WebSocket: nothing of the calls
        // before it on the same connection is its parent.
        var roots = spans.Where(s => s.Name == "tools/call chat" && s.ParentSpanId.Length == 0).ToList();
        Assert.Equal(2, roots.Count);
        Assert.All(roots, r => Assert.Equal(3, spans.Count(s => s.TraceId == r.TraceId))); // the call, its model request, one attempt
        var wsCall = Assert.Single(spans, s => s.TraceId == wsTrace.TraceId && s.Name == "tools/call chat");
        Assert.Equal(wsTrace.SpanId, wsCall.ParentSpanId);

        // Neither the token nor the key reaches the collector, in any 8-character window.
        string exported = string.Join("\n", collector.Bodies.Select(b => Encoding.Latin1.GetString(b)));
        foreach (string secret in new[] { token, key })
        {
            for (int i = 0; i + 8 <= secret.Length; i++)
            {
                Assert.DoesNotContain(secret.Substring(i, 8), exported, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task AtRatioZero_OnlyCallsTheClientSampledAreTraced()
    {
        await using var collector = OtlpReceiver.Start();
        await using var fake = FakeOpenAIServer.Start();
        string token = Secret();
        var (sampled, unsampled) = (NewTrace(), NewTrace());
        await using (var daemon = ExaiFastProcess.Start(new Dictionary<string, string>
        {
            ["EXAI_WS_TOKEN"] = token,
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_MODELS"] = "stream",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUrl.ToString(),
            ["EXAIFAST_TRACE_SAMPLE_RATIO"] = "0",
        }, "serve", "--port", "0"))
        {
            int port = await daemon.WaitForReadyAsync();
            using var http = new HttpClient();
            for (int i = 0; i < 10; i++)
            {
                await CallAsync(http, port, token, "stream", header: null);
            }

            await CallAsync(http, port, token, "stream", header: unsampled.Parent(sampled: false));
            await CallAsync(http, port, token, "stream", header: null, meta: sampled.Parent(sampled: true));
            daemon.Signal(15);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        // The client's sampled trace: the call, its model request and the one attempt; nothing of the other eleven.
        Assert.Empty(collector.Unexpected);
        var spans = collector.Spans.ToList();
        Assert.Equal(3, spans.Count);
        Assert.All(spans, s => Assert.Equal(sampled.TraceId, s.TraceId));
        Assert.Equal(sampled.SpanId, Assert.Single(spans, s => s.Name == "tools/call chat").ParentSpanId);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318", "invalid OTEL_EXPORTER_OTLP_ENDPOINT (from environment): 'localhost:4318' is not an absolute http(s) URL")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "invalid OTEL_EXPORTER_OTLP_PROTOCOL (from environment): 'http/json' is not one of http/protobuf, grpc")]
    [InlineData("EXAIFAST_TRACE_SAMPLE_RATIO", "1.5", "invalid EXAIFAST_TRACE_SAMPLE_RATIO (from environment): '1.5' is not a number from 0 to 1")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "justakey", "invalid OTEL_EXPORTER_OTLP_HEADERS (from environment): '***' is not comma-separated key=value pairs")]
    public void BadTracingSettings_AreConfigurationErrors(string setting, string value, string message)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { [setting] = value }, new Dictionary<string, string>(), HermeticStart.EmptyEnvFile));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void TracingIsOffByDefault_AndTheCollectorsHeadersAreASecret()
    {
        var none = new Dictionary<string, string>();
        Assert.Null(SettingsLoader.Load(none, none, HermeticStart.EmptyEnvFile).Tracing.Endpoint);
        Assert.True(SettingsCatalog.All.Single(d => d.Key == "OTEL_EXPORTER_OTLP_HEADERS").IsSecret);
        var set = SettingsLoader.Load(new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318", ["EXAIFAST_TRACE_SAMPLE_RATIO"] = "0.25" }, none, HermeticStart.EmptyEnvFile).Tracing;
        Assert.Equal(new Uri("http://collector:4318"), set.Endpoint);
        Assert.Equal(0.25, set.SampleRatio);
        Assert.True(set.HttpProtobuf);
    }

    private static async Task<JsonObject> CallAsync(HttpClient http, int port, string token, string model, string? header, string? meta = null)
    {
        var parameters = new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "hi", ["model"] = model } };
        if (meta is not null)
        {
            parameters["_meta"] = new JsonObject { ["traceparent"] = meta };
        }

        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call", ["params"] = parameters };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/mcp")
        {
            Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", header);
        }
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, body);
        string json = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? body.Split('\n').Last(l => l.StartsWith("data:", StringComparison.Ordinal) && l.Contains("\"result\"", StringComparison.Ordinal))[5..]
            : body;
        return JsonNode.Parse(json)!["result"]!.AsObject();
    }

    private static string Secret() => "S3cr3t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private static Trace NewTrace() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    private sealed record Trace(string TraceId, string SpanId)
    {
        public string Parent(bool sampled) => $"00-{TraceId}-{SpanId}-{(sampled ? "01" : "00")}";
    }
}
