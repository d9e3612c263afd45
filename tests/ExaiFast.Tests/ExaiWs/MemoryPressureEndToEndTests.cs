using System.Net;
using System.Text.Json.Nodes;
using ExaiFast.Core.Dispatch;
using ExaiFast.Tools.Threads;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>
/// The memory monitor on the real heap of this process (the daemon runs in it): each test holds 8 MiB of live data,
/// above marks of 1 and 2 MiB, so the confirming full collection cannot clear it (measured: an idle test process's
/// heap after a full collection is about 1.4 MiB — without the ballast the critical mark was never confirmed).
/// Recovery needs a heap that can shrink on demand and is tested in Core (MemoryPressureTests).
/// </summary>
public class MemoryPressureEndToEndTests
{
    [Fact]
    public async Task AtTheCriticalMark_ACall_IsRefusedAtOnce_WithRetryAfter_AndReadinessAndHealthSaySo()
    {
        byte[] ballast = Ballast();
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAIFAST_MEMORY_HIGH_MB"] = "1",
            ["EXAIFAST_MEMORY_CRITICAL_MB"] = "2",
            ["EXAIFAST_MEMORY_CHECK_SECS"] = "0.05",
        });
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.MemoryPressure == MemoryPressure.Critical);
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await client.CallAsync("m1", "chat", new JsonObject { ["prompt"] = "hi" });
        var res = await client.ResultAsync("m1");

        Assert.False((bool)res["ok"]!);
        Assert.Equal("OVER_CAPACITY", (string?)res["error"]!["code"]);
        Assert.Contains("memory", (string?)res["error"]!["message"], StringComparison.Ordinal);
        Assert.True((double)res["error"]!["retry_after"]! >= 1);

        await client.SendAsync(new JsonObject { ["op"] = "health", ["request_id"] = "h" });
        Assert.Equal("critical", (string?)(await client.OpAsync("health_res"))["health"]!["memory"]);

        using var http = new HttpClient();
        string port = daemon.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var ready = await http.GetAsync($"http://127.0.0.1:{port}/ready", TestContext.Current.CancellationToken);
        var readyBody = JsonNode.Parse(await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode); // a load balancer sends new work elsewhere
        Assert.Equal("critical", (string?)readyBody["memory"]);
        using var health = await http.GetAsync($"http://127.0.0.1:{port}/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode); // alive all the same

        string metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("exaifast_memory_pressure 2", metrics, StringComparison.Ordinal);
        Assert.Contains("exaifast_memory_critical_bytes 2097152", metrics, StringComparison.Ordinal);
        Assert.Contains("exaifast_calls_total{tool=\"chat\",outcome=\"refused\"} 1", metrics, StringComparison.Ordinal);
        GC.KeepAlive(ballast);
    }

    [Fact]
    public async Task AboveTheHighWaterMarkOnly_CallsAreServed_AndTheDaemonStaysReady()
    {
        byte[] ballast = Ballast();
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAIFAST_MEMORY_HIGH_MB"] = "1",
            ["EXAIFAST_MEMORY_CRITICAL_MB"] = "16777216",
            ["EXAIFAST_MEMORY_CHECK_SECS"] = "0.05",
        });
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.MemoryPressure == MemoryPressure.High);
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        await client.CallAsync("m1", "chat", new JsonObject { ["prompt"] = "hi" });
        Assert.True((bool)(await client.ResultAsync("m1"))["ok"]!);

        using var http = new HttpClient();
        string port = daemon.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var ready = await http.GetAsync($"http://127.0.0.1:{port}/ready", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("\"memory\":\"high\"", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        string metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("exaifast_memory_pressure 1", metrics, StringComparison.Ordinal); // trimming itself: Core's MemoryPressureTests
        GC.KeepAlive(ballast);
    }

    [Fact]
    public async Task UnderPressure_ConversationThreadsAreTrimmedToHalfTheirLimit_AndATrimmedOneSaysSoWhenContinued()
    {
        // High pressure for the whole test (critical far away, so calls are served): at every check the thread store
        // keeps at most half of EXAIFAST_THREADS_MAX, the least recently used going first.
        byte[] ballast = Ballast();
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAIFAST_MEMORY_HIGH_MB"] = "1",
            ["EXAIFAST_MEMORY_CRITICAL_MB"] = "16777216",
            ["EXAIFAST_MEMORY_CHECK_SECS"] = "0.05",
            ["EXAIFAST_THREADS_MAX"] = "8",
        });
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.MemoryPressure == MemoryPressure.High);
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var threads = new List<string>();
        for (int i = 0; i < 8; i++)
        {
            await client.CallAsync($"t{i}", "chat", new JsonObject { ["prompt"] = $"thread {i}", ["local_latency_ms"] = 0 });
            var made = await client.ResultAsync($"t{i}");
            threads.Add((string)made["continuation_id"]!);
        }

        // Each check trims; the store's count says one has run since the last thread was made.
        var store = (MemoryThreadStore)daemon.Services.GetRequiredService<IThreadStore>();
        await ExaiWsProtocolTests.Eventually(() => store.Count <= 4);

        int kept = 0;
        foreach (string thread in threads)
        {
            await client.CallAsync($"c-{thread}", "chat", new JsonObject { ["prompt"] = "go on", ["continuation_id"] = thread, ["local_latency_ms"] = 0 });
            var answer = await client.ResultAsync($"c-{thread}");
            if ((bool)answer["ok"]!)
            {
                kept++;
            }
            else
            {
                Assert.Equal("INVALID_ARGUMENTS", (string?)answer["error"]!["code"]);
                Assert.Contains(thread, (string?)answer["error"]!["message"], StringComparison.Ordinal);
            }
        }

        Assert.Equal(4, kept); // half the limit, neither more nor less
        GC.KeepAlive(ballast);
    }

    /// <summary>8 MiB of live data, touched so that it is really there.</summary>
    private static byte[] Ballast()
    {
        var ballast = new byte[8 << 20];
        Random.Shared.NextBytes(ballast);
        return ballast;
    }
}
