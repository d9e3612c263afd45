using ExaiFast.Server.Mcp;
using ExaiFast.Tests.ExaiWs;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ExaiFast.Tests.Mcp;

/// <summary>The official MCP C# SDK client (NuGet ModelContextProtocol) as an independent client of Streamable HTTP, of
/// <c>exaifast stdio</c> (bridged to a daemon, and in-process) and of MCP over WebSocket: left to itself it negotiates
/// revision 2026-07-28; pinned to 2025-11-25 it still gets the initialize era.</summary>
public class McpCSharpSdkTests
{
    private static async Task<McpClient> ConnectAsync(Daemon daemon, string? token, string? protocolVersion = null)
    {
        var options = new HttpClientTransportOptions
        {
            Endpoint = new Uri(daemon.HttpUri, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        };
        if (token is not null)
        {
            options.AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        }

        return await McpClient.CreateAsync(new HttpClientTransport(options), new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "exaifast-tests", Version = "1.0.0" },
            ProtocolVersion = protocolVersion,
        }, cancellationToken: TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(null, null, "2026-07-28")]
    [InlineData("c-sharp-token", null, "2026-07-28")]
    [InlineData(null, "2025-11-25", "2025-11-25")]
    public async Task OverStreamableHttp_TheSdk_NegotiatesItsRevision_ListsCallsInParallel_GetsProgress_AndCancels(string? token, string? pinned, string negotiated)
    {
        var env = new Dictionary<string, string> { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" };
        if (token is not null)
        {
            env["EXAI_WS_TOKEN"] = token;
        }

        await using var daemon = await Daemon.StartAsync(env);
        var ct = TestContext.Current.CancellationToken;

        // No version asked: the SDK probes revision 2026-07-28 with server/discover, and stays on it. The daemon's side of
        // it: a modern client was issued no session; a legacy one got one at initialize.
        await using var client = await ConnectAsync(daemon, token, pinned);
        Assert.Equal(negotiated, client.NegotiatedProtocolVersion);
        Assert.Equal("exaifast", client.ServerInfo?.Name);
        Assert.Equal(pinned is null ? 0 : 1, daemon.Services.GetRequiredService<McpHttpSessions>().Count);

        var tools = await client.ListToolsAsync(cancellationToken: ct);
        Assert.Contains(tools, t => t.Name == "chat");

        int progress = 0;
        var chat = await client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "from c#", ["local_latency_ms"] = 400 },
            new SyncProgress(() => Interlocked.Increment(ref progress)), cancellationToken: ct);
        Assert.NotEqual(true, chat.IsError);
        Assert.Contains("from c#", ((TextContentBlock)chat.Content[0]).Text, StringComparison.Ordinal);
        Assert.True(Volatile.Read(ref progress) > 0, "no progress notifications reached the SDK");

        var parallel = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = $"parallel {i}", ["local_latency_ms"] = 50 }, cancellationToken: ct).AsTask()));
        for (int i = 0; i < parallel.Length; i++)
        {
            Assert.Contains($"parallel {i}", ((TextContentBlock)parallel[i].Content[0]).Text, StringComparison.Ordinal);
        }

        var unknown = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("no-such-tool", cancellationToken: ct).AsTask());
        Assert.Equal(McpErrorCode.InvalidParams, unknown.ErrorCode);

        // Cancel a call in flight: the SDK gives up at once; the daemon must stop the work (the model saw the cancel).
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var slow = client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "slow", ["local_latency_ms"] = 60_000 }, cancellationToken: cancel.Token).AsTask();
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 1);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0);

        var after = await client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "after" }, cancellationToken: ct);
        Assert.Contains("after", ((TextContentBlock)after.Content[0]).Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, null, "2026-07-28")]
    [InlineData(true, null, "2026-07-28")]
    [InlineData(false, "2025-11-25", "2025-11-25")]
    [InlineData(true, "2025-11-25", "2025-11-25")]
    public async Task OverStdio_TheSdk_NegotiatesItsRevision_ListsCallsInParallel_AndCancels(bool inProcess, string? pinned, string negotiated)
    {
        await using var daemon = inProcess ? null : await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "stdio-token", ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "1" });
        var ct = TestContext.Current.CancellationToken;
        var stderr = new System.Collections.Concurrent.ConcurrentQueue<string>();
        string workingDirectory = HermeticStart.NewWorkingDirectory();
        // One local worker (in process; the daemon gets the same): a slow call that was not really cancelled would hold it,
        // and the call after it would wait its whole minute.
        var environment = new Dictionary<string, string> { ["EXAIFAST_LOG_LEVEL"] = "warning", ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05", ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "1" };
        if (daemon is not null)
        {
            environment["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment["EXAI_WS_TOKEN"] = "stdio-token";
        }

        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = ExaiFastExecutable.FileName,
            Arguments = [.. ExaiFastExecutable.Prefix, "stdio", .. (inProcess ? (string[])["--in-process"] : [])],
            EnvironmentVariables = HermeticStart.Overrides(environment),
            WorkingDirectory = workingDirectory,
            StandardErrorLines = stderr.Enqueue,
        });

        // No version asked: the SDK sends server/discover first (revision 2026-07-28), and stays on it.
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "exaifast-tests", Version = "1.0.0" },
            ProtocolVersion = pinned,
        }, cancellationToken: ct);
        Assert.Equal(negotiated, client.NegotiatedProtocolVersion);

        Assert.Contains(await client.ListToolsAsync(cancellationToken: ct), t => t.Name == "chat");
        var parallel = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = $"stdio {i}", ["local_latency_ms"] = 50 }, cancellationToken: ct).AsTask()));
        for (int i = 0; i < parallel.Length; i++)
        {
            Assert.Contains($"stdio {i}", ((TextContentBlock)parallel[i].Content[0]).Text, StringComparison.Ordinal);
        }

        // Cancelled once it runs (its first progress), so the cancel has work to stop. The SDK gives up at once whatever
        // the server does; the proof is the next call, which gets the only worker only if the slow one let it go.
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "slow", ["local_latency_ms"] = 60_000 },
            new SyncProgress(() => running.TrySetResult()), cancellationToken: cancel.Token).AsTask();
        await running.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
        if (daemon is not null)
        {
            await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0);
        }

        var after = await client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "after" }, cancellationToken: ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.NotEqual(true, after.IsError);
        Assert.Contains("after", ((TextContentBlock)after.Content[0]).Text, StringComparison.Ordinal);
        HermeticStart.DeleteWorkingDirectory(workingDirectory);
        Assert.DoesNotContain(stderr, line => line.Contains("stdio-token", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, "2026-07-28")]
    [InlineData("2025-11-25", "2025-11-25")]
    public async Task OverWebSocket_TheSdk_NegotiatesItsRevision_ListsAndCalls_AndCancels(string? pinned, string negotiated)
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.05" });
        var ct = TestContext.Current.CancellationToken;
        var transport = new WebSocketClientTransport(daemon.Uri);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "exaifast-tests", Version = "1.0.0" },
            ProtocolVersion = pinned,
        }, cancellationToken: ct);
        Assert.Equal(negotiated, client.NegotiatedProtocolVersion);
        Assert.Equal("exaifast", client.ServerInfo?.Name);

        Assert.Contains(await client.ListToolsAsync(cancellationToken: ct), t => t.Name == "chat");
        var chat = await client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "over a websocket" }, cancellationToken: ct);
        Assert.NotEqual(true, chat.IsError);
        Assert.Contains("over a websocket", ((TextContentBlock)chat.Content[0]).Text, StringComparison.Ordinal);

        // Cancelled once its progress reaches the SDK (waited for: a loaded machine may delay the first heartbeat).
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "slow", ["local_latency_ms"] = 60_000 },
            new SyncProgress(() => running.TrySetResult()), cancellationToken: cancel.Token).AsTask();
        await running.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0);

        // What went over the wire: a modern SDK never sent initialize, and named 2026-07-28 in every request's _meta.
        string[] methods = [.. transport.SentMethods];
        if (pinned is null)
        {
            Assert.Equal("server/discover", methods[0]);
            Assert.DoesNotContain("initialize", methods);
            Assert.All(transport.SentRevisions, r => Assert.Equal("2026-07-28", r));
        }
        else
        {
            Assert.Equal("initialize", methods[0]);
            Assert.All(transport.SentRevisions, r => Assert.Null(r));
        }
    }

    [Fact]
    public async Task OverStreamableHttp_AWrongToken_IsRefused_AsUnauthorized()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_TOKEN"] = "right" });
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(daemon, "wrong", "2025-11-25"));
        Assert.Contains("401", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("right", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Progress reported on the SDK's thread, without Progress&lt;T&gt;'s synchronization-context posting.</summary>
    private sealed class SyncProgress(Action onReport) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => onReport();
    }
}
