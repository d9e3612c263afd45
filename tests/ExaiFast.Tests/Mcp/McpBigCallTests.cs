using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using static ExaiFast.Tests.ExaiWs.BigMessageTests;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// A big MCP <c>tools/call</c> on the real composition root: its message (4 MiB) is read in place by its
/// call, so it holds its inbound budget (<c>exaifast_inbound_bytes_in_flight</c>) for as long as the call runs — over
/// WebSocket and Streamable HTTP — and gives it back when the call ends: answered, cancelled, its client gone, or
/// refused for its arguments. No copy of the arguments is made: a big MCP call allocates no more than the same call
/// over exai-ws. In <see cref="BigMessageTests"/>' collection: the allocation counters are process-wide.
/// </summary>
[Collection(nameof(BigMessageTests))]
public class McpBigCallTests
{
    [Fact]
    public async Task OverWebSocket_ARunningCall_HoldsItsBudget_UntilACancelEndsIt()
    {
        await using var daemon = await Daemon.StartAsync(Settings());
        using var http = new HttpClient();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        byte[] call = ToolsCall(1, 'a', latencyMs: 600_000);

        await client.SendBytesAsync(call);
        await AssertHeldWhileRunningAsync(daemon, http, call.Length);

        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = 1 } });
        await AssertGivenBackAsync(daemon, http);
    }

    [Fact]
    public async Task OverWebSocket_ARunningCall_GivesItsBudgetBack_WhenItsConnectionIsLost()
    {
        await using var daemon = await Daemon.StartAsync(Settings());
        using var http = new HttpClient();
        var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        byte[] call = ToolsCall(2, 'b', latencyMs: 600_000);

        await client.SendBytesAsync(call);
        await AssertHeldWhileRunningAsync(daemon, http, call.Length);

        client.Vanish(); // the session ends: its calls are cancelled
        await AssertGivenBackAsync(daemon, http);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task OverHttp_ARunningCall_HoldsItsBudget_UntilACancelPostedInItsSessionEndsIt()
    {
        await using var daemon = await Daemon.StartAsync(Settings());
        using var http = new HttpClient();
        string session = await InitializeAsync(http, daemon);
        byte[] call = ToolsCall(3, 'c', latencyMs: 600_000);

        var running = http.SendAsync(Post(daemon, call, session), TestContext.Current.CancellationToken);
        await AssertHeldWhileRunningAsync(daemon, http, call.Length);

        using (var cancel = await http.SendAsync(Post(daemon, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = "notifications/cancelled",
            ["params"] = new JsonObject { ["requestId"] = 3 },
        }.ToJsonString()), session), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        using var response = await running.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode); // cancelled: MCP sends no response, HTTP needs one
        await AssertGivenBackAsync(daemon, http);
    }

    [Fact]
    public async Task OverHttp_ARunningCall_GivesItsBudgetBack_WhenItsClientDropsThePost()
    {
        await using var daemon = await Daemon.StartAsync(Settings());
        using var http = new HttpClient();
        byte[] call = ToolsCall(4, 'd', latencyMs: 600_000);
        using var drop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        using var dropping = new HttpClient(); // its connection is the one that goes
        var running = dropping.SendAsync(Post(daemon, call, session: null), drop.Token);
        await AssertHeldWhileRunningAsync(daemon, http, call.Length);

        await drop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await AssertGivenBackAsync(daemon, http);
    }

    [Fact]
    public async Task ACallRefusedForItsArguments_GivesItsBudgetBack_AndAFullSizeCallThenHoldsExactlyItsOwn()
    {
        await using var daemon = await Daemon.StartAsync(Settings());
        using var http = new HttpClient();

        // temperature is 0..1: a tool error (INVALID_ARGUMENTS) the model can correct, answered before any call exists.
        using (var refused = await http.SendAsync(Post(daemon, ToolsCall(5, 'e', latencyMs: 0, temperature: 7), session: null), TestContext.Current.CancellationToken))
        {
            var result = JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["result"]!;
            Assert.True((bool)result["isError"]!, result.ToJsonString());
            Assert.Contains("temperature", (string?)result["content"]![0]!["text"], StringComparison.Ordinal);
        }

        await AssertGivenBackAsync(daemon, http);

        // Given back once, not twice: a running call's budget reads as exactly its message.
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        byte[] call = ToolsCall(6, 'f', latencyMs: 600_000);
        await client.SendBytesAsync(call);
        await AssertHeldWhileRunningAsync(daemon, http, call.Length);
        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = 6 } });
        await AssertGivenBackAsync(daemon, http);
    }

    [Fact]
    public async Task ABigCall_AllocatesNoCopyOfItsArguments_NoMoreThanOverExaiWs()
    {
        await using var daemon = await Daemon.StartAsync(Settings());
        using var http = new HttpClient();
        await using var exai = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await using var mcp = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        const int Calls = 4;
        var exaiCalls = Enumerable.Range(0, Calls + 1).Select(i => CallBytes("x" + i, (char)('k' + i), latencyMs: 0)).ToArray();
        var mcpCalls = Enumerable.Range(0, Calls + 1).Select(i => ToolsCall(100 + i, (char)('k' + i), latencyMs: 0)).ToArray();

        // The same chat call, the same size, by either door; the first of each warms its path up. The fewest bytes any
        // one call took: now and then a call also allocates a payload-sized buffer that a pool happened not to have
        // (+4 MiB in one call of three was seen), while a copy of the arguments would be in every call.
        async Task<long> PerCallAsync(Func<int, Task> run)
        {
            await run(0);
            long fewest = long.MaxValue;
            for (int i = 1; i <= Calls; i++)
            {
                await AssertGivenBackAsync(daemon, http);
                long before = GC.GetTotalAllocatedBytes(precise: true);
                await run(i);
                fewest = Math.Min(fewest, GC.GetTotalAllocatedBytes(precise: true) - before);
            }

            return fewest;
        }

        long overExaiWs = await PerCallAsync(async i =>
        {
            await exai.SendBytesAsync(exaiCalls[i]);
            Assert.True((bool)(await exai.ResultAsync("x" + i, timeoutMs: 60_000))["ok"]!);
        });
        long overMcp = await PerCallAsync(async i =>
        {
            await mcp.SendBytesAsync(mcpCalls[i]);
            var response = await mcp.WaitForAsync(m => (int?)m["id"] == 100 + i, timeoutMs: 60_000);
            Assert.True(response["result"] is { } r && (bool?)r["isError"] != true, response.ToJsonString());
        });

        // A copy of the arguments would add the whole prompt (4 MiB) per call; what else differs is a few small objects.
        Assert.True(overMcp < overExaiWs + PromptBytes / 2,
            $"{overMcp >> 10} KiB allocated per big MCP call against {overExaiWs >> 10} KiB over exai-ws ({PromptBytes >> 20} MiB prompt)");
        await AssertGivenBackAsync(daemon, http);
    }

    /// <summary>The call is admitted and past its parse, and its message's budget is still held: exactly its bytes.</summary>
    private static async Task AssertHeldWhileRunningAsync(Daemon daemon, HttpClient http, long bytes)
    {
        await EventuallyAsync(() => Task.FromResult(daemon.Dispatcher.Inflight == 1 && daemon.LocalModel.Requests == 1));
        Assert.Equal(bytes, await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight"));
    }

    private static async Task AssertGivenBackAsync(Daemon daemon, HttpClient http)
    {
        await EventuallyAsync(async () => daemon.Dispatcher.Inflight == 0 && await MetricAsync(http, daemon, "exaifast_inbound_bytes_in_flight") == 0);
    }

    private static async Task<string> InitializeAsync(HttpClient http, Daemon daemon)
    {
        using var response = await http.SendAsync(Post(daemon, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = "init",
            ["method"] = "initialize",
            ["params"] = new JsonObject
            {
                ["protocolVersion"] = "2025-11-25",
                ["capabilities"] = new JsonObject(),
                ["clientInfo"] = new JsonObject { ["name"] = "big-call-tests", ["version"] = "1" },
            },
        }.ToJsonString()), session: null), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Mcp-Session-Id").Single();
    }

    private static HttpRequestMessage Post(Daemon daemon, byte[] body, string? session)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp")) { Content = content };
        request.Headers.TryAddWithoutValidation("Accept", "application/json"); // one response, no stream
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return request;
    }

    private static byte[] ToolsCall(int id, char fill, int latencyMs, double? temperature = null)
    {
        var arguments = new JsonObject { ["prompt"] = new string(fill, PromptChars), ["local_latency_ms"] = latencyMs };
        if (temperature is { } t)
        {
            arguments["temperature"] = t;
        }

        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id,
            ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "chat", ["arguments"] = arguments },
        }.ToJsonString());
    }
}
