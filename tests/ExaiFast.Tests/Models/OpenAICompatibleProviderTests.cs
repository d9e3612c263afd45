using System.Text.Json.Nodes;
using ExaiFast.Configuration;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// chat answered by a real OpenAI-compatible HTTP server on 127.0.0.1 (<see cref="FakeOpenAIServer"/>), through the real
/// composition root, over exai-ws and MCP: answers, streams, and every way a model API fails — each ending in a clear
/// error, answered by the provider's own deadlines (0.3 s for the hangs) long before the call's (30 s), and with no
/// upstream request left open after its call.
/// </summary>
public class OpenAICompatibleProviderTests
{
    // Far below the call's 30 s deadline: a fault answered by the provider's 0.3 s deadlines (plus retries' 10 ms
    // backoff) takes well under this even on a loaded machine; one that waited for the call's deadline would not.
    private static readonly TimeSpan WellBeforeTheCallDeadline = TimeSpan.FromSeconds(ProviderRig.CallTimeoutSecs / 3);

    [Fact]
    public async Task Answer_ComesFromTheServer_WithProviderModelAndTheRequestItWasAsked()
    {
        await using var rig = await ProviderRig.StartAsync();
        var (result, _, _) = await rig.ChatAsync("answer");

        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(FakeOpenAIServer.Answer, (string?)result["text"]);
        Assert.Equal("openai", (string?)result["metrics"]!["provider"]);
        Assert.Equal("answer", (string?)result["metrics"]!["model"]);

        var (headers, body) = Assert.Single(rig.Fake.Requests);
        Assert.Equal("Bearer " + ProviderRig.ApiKey, headers["Authorization"]);
        Assert.True((bool)body["stream"]!); // always streamed upstream, so the idle deadline can watch it
        var messages = body["messages"]!.AsArray();
        Assert.Equal(["system", "user"], messages.Select(m => (string)m!["role"]!).ToArray());
        Assert.Equal("Say hello.", (string?)messages[1]!["content"]);
        await rig.Fake.WaitForNoOpenRequestsAsync();
    }

    [Fact]
    public async Task Answer_OverMcp_IsTheModelsText()
    {
        await using var rig = await ProviderRig.StartAsync();
        var result = await rig.ChatOverMcpAsync("answer");
        Assert.False((bool)result["isError"]!, result.ToJsonString());
        Assert.Equal(FakeOpenAIServer.Answer, (string?)result["content"]![0]!["text"]);
        var model = result["_meta"]!["exaifast/model"]!;
        Assert.Equal("openai", (string?)model["provider"]);
        Assert.Equal("answer", (string?)model["model"]);
        Assert.Equal("explicit model 'answer'", (string?)model["route"]);
    }

    [Fact]
    public async Task Stream_ReachesTheClientChunkByChunk_InOrder_AndTheResultIsTheWholeAnswer()
    {
        await using var rig = await ProviderRig.StartAsync(script: f => f.StreamChunks = 8);
        var (result, frames, _) = await rig.ChatAsync("stream", stream: true);

        Assert.True((bool)result["ok"]!, result.ToJsonString());
        var chunks = frames.Where(f => (string?)f["op"] == "stream_chunk").ToList();
        Assert.Equal(8, chunks.Count);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"chunk{i} "), chunks.Select(c => (string)c["chunk"]!));
        Assert.Equal(string.Concat(Enumerable.Range(0, 8).Select(i => $"chunk{i} ")), (string?)result["text"]);
        Assert.True(frames.IndexOf(chunks[^1]) < frames.IndexOf(result)); // every chunk before the result
    }

    [Fact]
    public async Task Stream_ChunksReachTheClientAsTheyArrive_EvenWhenTheStreamThenStalls()
    {
        // The upstream sends two chunks and falls silent: the client has them before the error ends the call, so
        // they were passed on as they came, not held for a whole answer; and the error says the answer is incomplete.
        await using var rig = await ProviderRig.StartAsync(ProviderRig.ShortIdleDeadline);
        var (result, frames, _) = await rig.ChatAsync("hang-stream", stream: true);
        Assert.Equal(["part one ", "part two "], frames.Where(f => (string?)f["op"] == "stream_chunk").Select(f => (string)f["chunk"]!).ToArray());
        Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
        Assert.Contains("after 2 chunks", (string?)result["error"]!["message"], StringComparison.Ordinal);
        await rig.Fake.WaitForNoOpenRequestsAsync();
    }

    [Fact]
    public async Task Stream_SplitOneBytePerRead_AcrossLinesAndUtf8Sequences_ParsesTheSame()
    {
        await using var rig = await ProviderRig.StartAsync();
        var (result, frames, _) = await rig.ChatAsync("trickle", stream: true);
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(FakeOpenAIServer.Trickled, (string?)result["text"]);
        Assert.Equal([FakeOpenAIServer.Trickled[..7], FakeOpenAIServer.Trickled[7..]], frames.Where(f => (string?)f["op"] == "stream_chunk").Select(f => (string)f["chunk"]!).ToArray());
    }

    [Fact]
    public async Task Reasoning_IsKeptApartFromTheAnswer()
    {
        await using var rig = await ProviderRig.StartAsync(script: f => f.StreamChunks = 2);
        var (result, frames, _) = await rig.ChatAsync("reasoning", stream: true);
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("chunk0 chunk1 ", (string?)result["text"]);
        Assert.DoesNotContain(frames, f => ((string?)f["chunk"])?.Contains("think", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task FinishReasonLength_ReachesTheCallerAsTruncation()
    {
        await using var rig = await ProviderRig.StartAsync(script: f => f.StreamChunks = 3);
        var (result, _, _) = await rig.ChatAsync("length");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        string text = (string)result["text"]!;
        Assert.StartsWith("chunk0 chunk1 chunk2 ", text, StringComparison.Ordinal);
        Assert.Contains("truncated", text, StringComparison.Ordinal);
        Assert.Contains("finish_reason=length", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status-500", "HTTP 500", 3)] // 1 + 2 retries
    [InlineData("status-502", "HTTP 502", 3)]
    [InlineData("status-503", "HTTP 503", 3)]
    [InlineData("hang-headers", "no response within 0.3 s", 1)] // a timeout is not retried
    [InlineData("hang-stream", "stalled", 1)]
    [InlineData("reset", "connection", 1)]
    [InlineData("cut", "without [DONE]", 1)]
    [InlineData("malformed", "malformed", 1)]
    public async Task Fault_IsAProviderError_AnsweredByTheProvidersDeadlines_WithNoRequestLeftOpen(string script, string says, int attempts)
    {
        await using var rig = await ProviderRig.StartAsync(ProviderRig.ShortDeadlineFor(script));
        var (result, _, elapsed) = await rig.ChatAsync(script);

        Assert.False((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
        string message = (string)result["error"]!["message"]!;
        Assert.Contains("openai", message, StringComparison.Ordinal);
        Assert.Contains(says, message, StringComparison.Ordinal);
        Assert.True(elapsed < WellBeforeTheCallDeadline, $"{script} took {elapsed}");
        Assert.Equal(attempts, rig.Fake.Attempts(script));
        await rig.Fake.WaitForNoOpenRequestsAsync();
    }

    [Theory]
    [InlineData("status-503")]
    [InlineData("hang-headers")]
    [InlineData("cut")]
    public async Task Fault_OverMcp_IsAToolErrorWithItsCode(string script)
    {
        await using var rig = await ProviderRig.StartAsync(ProviderRig.ShortDeadlineFor(script));
        var result = await rig.ChatOverMcpAsync(script);
        Assert.True((bool)result["isError"]!, result.ToJsonString());
        Assert.Equal("PROVIDER_ERROR", (string?)result["_meta"]!["exaifast/error"]!["code"]);
        Assert.StartsWith("PROVIDER_ERROR: openai", (string?)result["content"]![0]!["text"], StringComparison.Ordinal);
        await rig.Fake.WaitForNoOpenRequestsAsync();
    }

    [Fact]
    public async Task Status503ThenAnswer_IsRetried_AndAnswers()
    {
        await using var rig = await ProviderRig.StartAsync();
        var (result, _, _) = await rig.ChatAsync("flaky-503");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(2, rig.Fake.Attempts("flaky-503"));
    }

    [Fact]
    public async Task Status408ThenAnswer_IsRetried_AndAnswers()
    {
        await using var rig = await ProviderRig.StartAsync();
        var (result, _, _) = await rig.ChatAsync("408-once");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(2, rig.Fake.Attempts("408-once"));
    }

    [Fact]
    public async Task AStreamThatNeverEnds_MeetsTheWholeRequestDeadline_AsAProviderError()
    {
        // A chunk every 100 ms against an idle deadline of 20 s (a machine loaded enough to hold a stream back 5 s was
        // seen), and the call has 30 s: only the whole request's own deadline (600 s unless set, here 21 s, above the
        // other two as it must be) can end this stream, as a provider error naming that deadline, not TIMEOUT.
        Assert.Equal(TimeSpan.FromSeconds(600), SettingsLoader.Load(new Dictionary<string, string>(), new Dictionary<string, string>(), HermeticStart.EmptyEnvFile).Providers.TotalTimeout);
        await using var rig = await ProviderRig.StartAsync(new()
        {
            ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "20",
            ["EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS"] = "20",
            ["EXAIFAST_PROVIDER_TOTAL_TIMEOUT_SECS"] = "21",
        });
        var (result, frames, _) = await rig.ChatAsync("endless", stream: true);

        Assert.False((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
        Assert.Contains("openai", (string)result["error"]!["message"]!, StringComparison.Ordinal);
        string message = (string)result["error"]!["message"]!;
        Assert.True(message.Contains("no complete answer within its total deadline of 21 s", StringComparison.Ordinal), message);
        Assert.Contains(frames, f => (string?)f["op"] == "stream_chunk"); // it was answering all along
        Assert.Equal(1, rig.Fake.Attempts("endless"));
        await rig.Fake.WaitForNoOpenRequestsAsync();
    }

    [Fact]
    public async Task Status429_WithRetryAfter_IsRetriedAfterTheServersWait()
    {
        await using var rig = await ProviderRig.StartAsync();
        var (result, _, elapsed) = await rig.ChatAsync("429-once");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(2, rig.Fake.Attempts("429-once"));
        Assert.True(elapsed >= TimeSpan.FromSeconds(0.9), $"answered after {elapsed}, before the server's Retry-After: 1"); // a lower bound: cannot be flaky
    }

    [Fact]
    public async Task Status429_WithARetryAfterPastTheDeadline_IsUnavailableAtOnce_WithRetryAfter()
    {
        await using var rig = await ProviderRig.StartAsync();
        var (result, _, elapsed) = await rig.ChatAsync("429-long"); // Retry-After: 60, the call has 30 s
        Assert.False((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("PROVIDER_UNAVAILABLE", (string?)result["error"]!["code"]);
        Assert.Equal(60, (double)result["error"]!["retry_after"]!);
        Assert.Equal(1, rig.Fake.Attempts("429-long")); // no retry could end inside the deadline
        Assert.True(elapsed < WellBeforeTheCallDeadline, $"took {elapsed}");
    }

    [Fact]
    public async Task BadKey_IsAProviderErrorNamingTheProviderAndStatus_NeverTheKey()
    {
        await using var rig = await ProviderRig.StartAsync();
        var (result, frames, _) = await rig.ChatAsync("401");
        Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
        string message = (string)result["error"]!["message"]!;
        Assert.Contains("openai", message, StringComparison.Ordinal);
        Assert.Contains("401", message, StringComparison.Ordinal);
        Assert.Contains("OPENAI_COMPATIBLE_API_KEY", message, StringComparison.Ordinal);
        Assert.Equal(1, rig.Fake.Attempts("401")); // a refused key is not retried

        var mcp = await rig.ChatOverMcpAsync("401");
        string metrics = await rig.GetAsync("/metrics");
        foreach (string seen in frames.Select(f => f.ToJsonString()).Append(mcp.ToJsonString()).Append(metrics))
        {
            Assert.DoesNotContain("SECRET", seen, StringComparison.Ordinal);
            Assert.DoesNotContain(ProviderRig.ApiKey[..8], seen, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Cancel_AbortsTheUpstreamRequest()
    {
        // Headers deadline far away: only the cancel can end the request.
        await using var rig = await ProviderRig.StartAsync(new() { ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "60" });
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        await client.CallAsync("c1", "chat", new JsonObject { ["prompt"] = "hi", ["model"] = "hang-headers" });
        await client.OpAsync("call_tool_ack");
        while (rig.Fake.OpenRequests == 0)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        await client.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = "c1" });
        var result = await client.ResultAsync("c1");
        Assert.Equal("CANCELLED", (string?)result["error"]!["code"]);
        await rig.Fake.WaitForNoOpenRequestsAsync();
    }

    [Fact]
    public async Task CallDeadline_BeforeTheProvidersOwn_IsATimeout_AndAbortsTheUpstreamRequest()
    {
        await using var rig = await ProviderRig.StartAsync(new() { ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "60", ["EXAI_WS_CALL_TIMEOUT_SECS"] = "1" });
        var (result, _, _) = await rig.ChatAsync("hang-headers");
        Assert.Equal("TIMEOUT", (string?)result["error"]!["code"]);
        await rig.Fake.WaitForNoOpenRequestsAsync();
    }

    [Fact]
    public async Task Usage_IsCountedPerProviderAndModel_InMetrics()
    {
        await using var rig = await ProviderRig.StartAsync(script: f => f.StreamChunks = 4);
        await rig.ChatAsync("stream");
        string metrics = await rig.GetAsync("/metrics");
        Assert.Contains("exaifast_provider_tokens_total{provider=\"openai\",model=\"stream\",kind=\"prompt\"} 12", metrics, StringComparison.Ordinal);
        Assert.Contains("exaifast_provider_tokens_total{provider=\"openai\",model=\"stream\",kind=\"completion\"} 4", metrics, StringComparison.Ordinal);
        Assert.Contains("exaifast_provider_breaker_state{provider=\"openai\"} 0", metrics, StringComparison.Ordinal);
    }
}
