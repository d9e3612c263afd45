using System.Text.Json;
using System.Text.Json.Nodes;
using ExaiFast.Models;
using ExaiFast.Models.OpenAICompatible;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.Models;

/// <summary>
/// What the model servers receive: <c>max_tokens</c> from the model's output limit (or the request's, never above the
/// model's), cut to what the prompt leaves of a small window; Kimi's <c>Idempotency-Key</c>, one per call and the same on
/// its retries; Kimi's usage read from inside its last choice. Checked on the fake servers' side of the wire.
/// </summary>
public class ProviderPayloadTests
{
    [Fact]
    public async Task Kimi_GetsItsOutputLimit_AndOneIdempotencyKeyPerCall_TheSameOnItsRetries()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer");
        rig.Kimi.Behaviors["kimi-k2-0905-preview"] = "flaky-503"; // 503, then an answer to the retry
        var result = await rig.ChatAsync(new JsonObject { ["model"] = "kimi-k2-0905-preview" });
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        await rig.ChatAsync(new JsonObject { ["model"] = "kimi-k2-turbo-preview" }, "c2");

        var requests = rig.Kimi.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.All(requests, r => Assert.Equal(8_192, (int?)r.Body["max_tokens"]));
        string[] keys = [.. requests.Select(r => r.Headers["Idempotency-Key"])];
        Assert.All(keys, k => Assert.Matches("^[0-9a-f]{32}$", k));
        Assert.Equal(keys[0], keys[1]); // the retry is the same call
        Assert.NotEqual(keys[0], keys[2]); // another call is not
    }

    [Fact]
    public async Task Glm_GetsItsOutputLimit_WithItsThinkingAndWebSearchAsBefore_AndNoKimiHeader()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer");
        await rig.ChatAsync(new JsonObject { ["model"] = "glm-4.6", ["thinking_mode"] = "high", ["use_websearch"] = true });
        await rig.ChatAsync(new JsonObject { ["model"] = "glm-4.5v" }, "c2");

        var requests = rig.Glm.Requests.ToArray();
        Assert.Equal(131_072, (int?)requests[0].Body["max_tokens"]);
        Assert.Equal("enabled", (string?)requests[0].Body["thinking"]!["type"]);
        Assert.Equal("web_search", (string?)requests[0].Body["tools"]![0]!["type"]);
        Assert.Equal(16_384, (int?)requests[1].Body["max_tokens"]);
        Assert.All(requests, r => Assert.False(r.Headers.ContainsKey("Idempotency-Key")));
    }

    [Fact]
    public async Task AModelOfUnknownLimit_GetsNoMaxTokens()
    {
        await using var rig = await ProviderRig.StartAsync();
        await rig.ChatAsync("answer");
        var (headers, body) = Assert.Single(rig.Fake.Requests);
        Assert.Null(body["max_tokens"]);
        Assert.False(headers.ContainsKey("Idempotency-Key"));
    }

    [Fact]
    public async Task InASmallWindow_TheOutputLimitLeavesRoomForThePrompt_AndIsLeftOutWhenThePromptMayFillIt()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer");
        await rig.ChatAsync(new JsonObject { ["model"] = "moonshot-v1-8k", ["prompt"] = "short" });
        await rig.ChatAsync(new JsonObject { ["model"] = "moonshot-v1-8k", ["prompt"] = new string('x', 6_000) }, "c2");
        await rig.ChatAsync(new JsonObject { ["model"] = "moonshot-v1-8k", ["prompt"] = new string('x', 9_000) }, "c3");

        var requests = rig.Kimi.Requests.ToArray();
        Assert.Equal(4_096, (int?)requests[0].Body["max_tokens"]); // the model's limit: the short prompt leaves room
        Assert.InRange((int)requests[1].Body["max_tokens"]!, 1, 8_192 - 6_000); // prompt and answer share 8K
        Assert.Null(requests[2].Body["max_tokens"]); // the prompt alone may fill the window: the server is left to say so
    }

    [Fact]
    public async Task ARequestsOwnLimit_IsSent_NeverAboveTheModels()
    {
        await using var fake = FakeOpenAIServer.Start();
        var services = new ServiceCollection();
        var options = new OpenAICompatibleOptions
        {
            Name = "openai", BaseUrl = fake.BaseUrl, KeySetting = "OPENAI_COMPATIBLE_API_KEY",
            Models = [new ModelSpec("answer", 0, ModelCapabilities.None) { MaxOutputTokens = 500 }, new ModelSpec("stream", 0, ModelCapabilities.None)],
        };
        services.AddProviderHttpClient(options);
        await using var sp = services.BuildServiceProvider();
        var provider = new OpenAICompatibleProvider(options, sp.GetRequiredService<IHttpClientFactory>());
        var ct = TestContext.Current.CancellationToken;

        await provider.CompleteAsync(ModelRequest.FromPrompt("answer", "s", "p") with { MaxOutputTokens = 100 }, null, ct);
        await provider.CompleteAsync(ModelRequest.FromPrompt("answer", "s", "p") with { MaxOutputTokens = 1_000 }, null, ct);
        await provider.CompleteAsync(ModelRequest.FromPrompt("stream", "s", "p") with { MaxOutputTokens = 100 }, null, ct);
        await provider.CompleteAsync(ModelRequest.FromPrompt("stream", "s", "p"), null, ct);

        Assert.Equal([100, 500, 100, null], fake.Requests.Select(r => (int?)r.Body["max_tokens"]).ToArray());
    }

    [Fact]
    public async Task KimisUsage_InsideItsLastChoice_IsCounted()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "usage-in-choice", glmBehavior: "answer");
        rig.Kimi.StreamChunks = 3;
        var result = await rig.ChatAsync(new JsonObject { ["model"] = "kimi-k2-0905-preview" });
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("chunk0 chunk1 chunk2 ", (string?)result["text"]);
        Assert.Equal(12, await rig.MetricAsync("exaifast_provider_tokens_total{provider=\"kimi\",model=\"kimi-k2-0905-preview\",kind=\"prompt\"}"));
        Assert.Equal(3, await rig.MetricAsync("exaifast_provider_tokens_total{provider=\"kimi\",model=\"kimi-k2-0905-preview\",kind=\"completion\"}"));
    }
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABigPrompt_ReachesTheModelServerAsSent_AloneOrWithFilesAppended(bool withFile)
    {
        // Over 64 KiB a prompt is read in place and written onward from the received bytes; the server must get
        // the very text: escapes, raw and escaped non-ASCII, pairs, and the embedded file after it.
        string prompt = string.Concat(Enumerable.Range(0, 20_000).Select(i => (i % 9) switch
        {
            0 => "\n", 1 => "\"quoted\" ", 2 => "é", 3 => "\U0001F600", 4 => "\t\\", 5 => "中文 ", _ => "word ",
        }));
        string file = Path.Combine(Path.GetTempPath(), $"exaifast-big-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, "first line\nsecond \U0001F600 line\n", TestContext.Current.CancellationToken);
        try
        {
            await using var rig = await ProviderRig.StartAsync();
            var more = new JsonObject { ["prompt"] = prompt };
            if (withFile)
            {
                more["files"] = new JsonArray(file);
            }

            var (result, _, _) = await rig.ChatAsync("answer", more: more);
            Assert.True((bool)result["ok"]!, result.ToJsonString());
            var (_, body) = Assert.Single(rig.Fake.Requests);
            var messages = body["messages"]!.AsArray();
            string sent = (string)messages[messages.Count - 1]!["content"]!;
            if (withFile)
            {
                Assert.StartsWith(prompt + "\n\nFiles:\n", sent, StringComparison.Ordinal);
                Assert.Contains("second \U0001F600 line", sent, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(prompt, sent);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
    [Theory]
    [InlineData("answer", "")]
    [InlineData("flaky-503", "")] // a 503, then the same body again
    [InlineData("answer", "\n\nFiles:\n1 | \"é\" \U0001F600")]
    [InlineData("flaky-503", "\n\nFiles:\n1 | \"é\" \U0001F600")]
    public async Task AnInPlacePrompt_IsSpliced_IntoEachSendOfTheBody_WithItsLength(string model, string appended)
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var services = ProviderServices(fake, out var provider);
        string prompt = string.Concat(Enumerable.Repeat("line \"one\"\t中 \U0001F600\n", 40_000)); // 1 MiB
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(new { p = prompt }));
        var text = MessageText.InPlace(document.RootElement.GetProperty("p")).Append(appended);

        var response = await provider.CompleteAsync(ModelRequest.FromPrompt(model, "s", text), null, TestContext.Current.CancellationToken);

        Assert.NotEmpty(response.Text);
        var requests = fake.Requests.ToArray();
        Assert.Equal(model == "flaky-503" ? 2 : 1, requests.Length);
        Assert.All(requests, r =>
        {
            Assert.Equal(prompt + appended, (string?)r.Body["messages"]![1]!["content"]);
            Assert.Equal("s", (string?)r.Body["messages"]![0]!["content"]);
            Assert.Equal(model, (string?)r.Body["model"]); // the JSON after the splice is whole
        });
    }

    [Fact]
    public async Task AServerThatAnswersBeforeReadingABigBody_CannotHangTheCall()
    {
        // The body is sent from the call's arguments a slice at a time; the provider waits for the send to end before it
        // returns (the arguments are given back then). A server that answers at once and never reads the body must not
        // hang it: HttpClient reads no response before the body is sent, so the time-to-headers deadline ends it, and
        // the send with it.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var ct = TestContext.Current.CancellationToken;
        var served = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(ct);
            var head = new byte[64 * 1024];
            int read = 0;
            while (head.AsSpan(0, read).IndexOf("\r\n\r\n"u8) < 0)
            {
                read += await socket.ReceiveAsync(head.AsMemory(read), ct);
            }

            await socket.SendAsync("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"u8.ToArray(), ct);
            await Task.Delay(TimeSpan.FromSeconds(30), ct).ContinueWith(_ => { }, TaskScheduler.Default); // never reads the body
        }, ct);

        var services = new ServiceCollection();
        var options = new OpenAICompatibleOptions
        {
            Name = "openai", BaseUrl = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/v1/"), KeySetting = "OPENAI_COMPATIBLE_API_KEY",
            Models = [new ModelSpec("answer", 0, ModelCapabilities.None)],
            Timeouts = ProviderTimeouts.Default with { Headers = TimeSpan.FromSeconds(1) },
            Resilience = ProviderResilience.Default with { MaxRetries = 0 },
        };
        services.AddProviderHttpClient(options);
        await using var sp = services.BuildServiceProvider();
        var provider = new OpenAICompatibleProvider(options, sp.GetRequiredService<IHttpClientFactory>());
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(new { p = new string('x', 32 << 20) }));

        var call = provider.CompleteAsync(ModelRequest.FromPrompt("answer", "s", MessageText.InPlace(document.RootElement.GetProperty("p"))), null, ct).AsTask();
        var ex = await Assert.ThrowsAsync<ExaiFast.Core.Tools.ProviderException>(() => call.WaitAsync(TimeSpan.FromSeconds(60), ct));
        Assert.Contains("no response within 1 s", ex.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider ProviderServices(FakeOpenAIServer fake, out OpenAICompatibleProvider provider)
    {
        var services = new ServiceCollection();
        var options = new OpenAICompatibleOptions
        {
            Name = "openai", BaseUrl = fake.BaseUrl, KeySetting = "OPENAI_COMPATIBLE_API_KEY",
            Models = [new ModelSpec("answer", 0, ModelCapabilities.None), new ModelSpec("flaky-503", 0, ModelCapabilities.None)],
            Resilience = ProviderResilience.Default with { RetryBaseDelay = TimeSpan.FromMilliseconds(10) },
        };
        services.AddProviderHttpClient(options);
        var sp = services.BuildServiceProvider();
        provider = new OpenAICompatibleProvider(options, sp.GetRequiredService<IHttpClientFactory>());
        return sp;
    }
}
