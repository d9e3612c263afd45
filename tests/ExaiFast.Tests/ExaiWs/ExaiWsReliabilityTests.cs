using System.Text.Json.Nodes;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>The original daemon's worst failures (leaks, hangs, duplicates, lost results) as checks on real sockets.</summary>
/// <remarks>
/// Alone in its collection, which xunit runs after the parallel ones and with nothing beside it: one check measures the
/// process-wide heap, and another test class allocating tens of MiB at the same moment would count against it.
/// </remarks>
[Collection(nameof(ExaiWsReliabilityTests))]
public class ExaiWsReliabilityTests
{
    private static Task Eventually(Func<bool> condition, int timeoutMs = 30_000) => ExaiWsProtocolTests.Eventually(condition, timeoutMs);

    private static int ResultsFor(ExaiWsClient client, string requestId) =>
        client.All.Count(f => (string?)f["op"] == "call_tool_res" && (string?)f["request_id"] == requestId);

    [Fact]
    public async Task ThousandCallsThatAllTimeOut_LeaveNothingInFlight_AndTheNextThousandSucceed()
    {
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAI_WS_GLOBAL_MAX_INFLIGHT"] = "2000", ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "2000", ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "100",
            ["EXAI_WS_QUEUE_DEPTH"] = "2000", ["EXAI_WS_CALL_TIMEOUT_SECS"] = "0.5",
        });
        var clients = new List<ExaiWsClient>();
        for (int c = 0; c < 10; c++)
        {
            clients.Add(await ExaiWsClient.ConnectAsync(daemon.Uri));
        }

        for (int i = 0; i < 1000; i++)
        {
            await clients[i % 10].CallAsync($"t{i}", "chat", new JsonObject { ["prompt"] = $"p{i}", ["local_latency_ms"] = 60_000 });
        }

        await Eventually(() => clients.Sum(c => c.All.Count(f => (string?)f["op"] == "call_tool_res")) == 1000);
        Assert.All(clients.SelectMany(c => c.All).Where(f => (string?)f["op"] == "call_tool_res"), f => Assert.Equal("TIMEOUT", (string?)f["error"]!["code"]));
        await Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.InflightKeys == 0 && daemon.Dispatcher.BusySlots == 0);
        Assert.Equal(daemon.LocalModel.Requests, daemon.LocalModel.Cancelled); // every request that reached the model was stopped

        for (int i = 0; i < 1000; i++)
        {
            await clients[i % 10].CallAsync($"ok{i}", "chat", new JsonObject { ["prompt"] = $"again {i}" });
        }

        await Eventually(() => clients.Sum(c => c.All.Count(f => (string?)f["op"] == "call_tool_res" && ((string)f["request_id"]!).StartsWith("ok", StringComparison.Ordinal))) == 1000);
        Assert.All(clients.SelectMany(c => c.All).Where(f => (string?)f["op"] == "call_tool_res" && ((string)f["request_id"]!).StartsWith("ok", StringComparison.Ordinal)),
            f => Assert.True((bool)f["ok"]!, f.ToJsonString()));
        await Eventually(() => daemon.Dispatcher.Inflight == 0);
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task HundredsOfConcurrentCalls_OverTenConnections_EachGetExactlyOneResult()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_GLOBAL_MAX_INFLIGHT"] = "500", ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "100", ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "16", ["EXAI_WS_QUEUE_DEPTH"] = "500" });
        var clients = new List<ExaiWsClient>();
        for (int c = 0; c < 12; c++)
        {
            clients.Add(await ExaiWsClient.ConnectAsync(daemon.Uri));
        }

        var random = new Random(3);
        await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            for (int i = 0; i < 25; i++)
            {
                await client.CallAsync($"c{c}-{i}", i % 3 == 0 ? "version" : "chat", new JsonObject { ["prompt"] = $"{c}/{i}", ["local_latency_ms"] = (c * 7 + i * 13) % 40 });
            }
        })));

        await Eventually(() => clients.All(c => c.All.Count(f => (string?)f["op"] == "call_tool_res") == 25));
        for (int c = 0; c < clients.Count; c++)
        {
            for (int i = 0; i < 25; i++)
            {
                Assert.Equal(1, ResultsFor(clients[c], $"c{c}-{i}"));
            }

            Assert.All(clients[c].All.Where(f => (string?)f["op"] == "call_tool_res"), f => Assert.True((bool)f["ok"]!, f.ToJsonString()));
        }

        await Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.InflightKeys == 0);
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task FiveHundredClientsVanishingMidCall_AreCancelledAtTheProvider_AndOthersAreUnaffected()
    {
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAI_WS_GLOBAL_MAX_INFLIGHT"] = "1000", ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "600", ["EXAI_WS_QUEUE_DEPTH"] = "1000",
            ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "0",
        });
        await using var steady = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var vanishing = new List<ExaiWsClient>();
        for (int i = 0; i < 500; i++)
        {
            var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
            await client.CallAsync("v", "chat", new JsonObject { ["prompt"] = $"vanish {i}", ["local_latency_ms"] = 120_000 });
            vanishing.Add(client);
        }

        await Eventually(() => daemon.LocalModel.Requests == 500); // every call reached the model
        await steady.CallAsync("steady-1", "chat", new JsonObject { ["prompt"] = "still here", ["local_latency_ms"] = 300 });
        foreach (var client in vanishing)
        {
            client.Vanish();
        }

        Assert.True((bool)(await steady.ResultAsync("steady-1"))["ok"]!);
        await Eventually(() => daemon.LocalModel.Cancelled == 500 && daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.InflightKeys == 0);
        await Eventually(() => daemon.Server.WebSocketCount == 1);
        await steady.CallAsync("steady-2", "version");
        Assert.True((bool)(await steady.ResultAsync("steady-2"))["ok"]!);
        foreach (var client in vanishing)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task SameRequestId_WhileRunning_RunsOnce_AndAfterFinishing_ReplaysTheStoredResult()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var args = new JsonObject { ["prompt"] = "once", ["local_latency_ms"] = 300 };

        await client.CallAsync("d1", "chat", args.DeepClone().AsObject());
        await client.CallAsync("d1", "chat", args.DeepClone().AsObject());
        var first = await client.ResultAsync("d1");
        // A barrier instead of a pause: the call's end tells all its listeners in one pass, and the daemon answers this
        // ping only after reading it, so a second result for d1 would be on the wire before the pong.
        await client.SendAsync(new JsonObject { ["op"] = "ping", ["request_id"] = "barrier" });
        await client.OpAsync("pong");
        Assert.Equal(1, ResultsFor(client, "d1")); // one execution, one result on this connection
        Assert.Equal(2, client.All.Count(f => (string?)f["op"] == "call_tool_ack" && (string?)f["request_id"] == "d1"));

        await client.CallAsync("d1", "chat", args.DeepClone().AsObject());
        var replay = await client.ResultAsync("d1");
        Assert.Equal((string?)first["text"], (string?)replay["text"]);
        Assert.Equal(1, daemon.LocalModel.Requests);

        // A replay is answered as any accepted call is: its ack first, then the stored result.
        string?[] frames = [.. client.All.Where(f => (string?)f["request_id"] == "d1").Select(f => (string?)f["op"])];
        Assert.Equal(["call_tool_ack", "call_tool_ack", "call_tool_res", "call_tool_ack", "call_tool_res"], frames);
    }

    [Fact]
    public async Task Reconnect_WithTheSameSession_CollectsAResultThatFinishedWhileDisconnected_AndAttachesToARunningOne()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "60" });
        var submissions = daemon.Services.GetRequiredService<DispatchMetrics>().Submissions;
        var first = await ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: "shim-42");
        await first.CallAsync("finished-offline", "chat", new JsonObject { ["prompt"] = "a", ["local_latency_ms"] = 200 });
        // Long enough to outlast any reconnect on a busy machine: the repeat below must find it running.
        await first.CallAsync("still-running", "chat", new JsonObject { ["prompt"] = "b", ["local_latency_ms"] = 8000 });
        await first.WaitForAsync(f => (string?)f["op"] == "call_tool_ack" && (string?)f["request_id"] == "still-running"); // both admitted
        first.Vanish();

        await Eventually(() => daemon.LocalModel.Completed == 1); // the first finished with nobody connected
        await using var second = await ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: "shim-42");
        await second.CallAsync("finished-offline", "chat", new JsonObject { ["prompt"] = "a" });
        Assert.Contains("You wrote: \"a\"", (string?)(await second.ResultAsync("finished-offline"))["text"]);
        Assert.Equal(1, submissions.WithLabels("replayed").Value);

        // Checked before the repeat is sent: if the call had already ended, the repeat would be a replay, not an attach.
        Assert.True(daemon.LocalModel.Completed == 1 && daemon.Dispatcher.Inflight == 1, "still-running ended before the reconnect: the test would only check a replay");
        await second.CallAsync("still-running", "chat", new JsonObject { ["prompt"] = "b" });
        Assert.Contains("You wrote: \"b\"", (string?)(await second.ResultAsync("still-running"))["text"]);

        Assert.Equal(1, submissions.WithLabels("attached").Value); // joined the running call...
        Assert.Equal(1, submissions.WithLabels("replayed").Value); // ...and did not wait for its end to be replayed
        Assert.Equal(2, daemon.LocalModel.Requests); // nothing ran twice
        Assert.Equal(0, daemon.LocalModel.Cancelled);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task TenTimesCapacity_AcceptedCallsComplete_TheRestAreRefusedBeforeAnyFinishes()
    {
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "4", ["EXAI_WS_QUEUE_DEPTH"] = "4", ["EXAI_WS_GLOBAL_MAX_INFLIGHT"] = "8", ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "80",
        });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        long before = GC.GetTotalMemory(forceFullCollection: true);

        for (int i = 0; i < 80; i++)
        {
            await client.CallAsync($"x{i}", "chat", new JsonObject { ["prompt"] = $"load {i}", ["local_latency_ms"] = 500 });
        }

        await Eventually(() => client.All.Count(f => (string?)f["op"] == "call_tool_res") == 80);
        var results = client.All.Where(f => (string?)f["op"] == "call_tool_res").ToList();
        var ok = results.Where(f => (bool)f["ok"]!).ToList();
        var refused = results.Where(f => !(bool)f["ok"]!).ToList();
        // 4 workers + 4 queue slots, and the global limit 8: between 4 (workers not yet dequeued) and 8 admitted.
        Assert.InRange(ok.Count, 4, 8);
        Assert.Equal(80 - ok.Count, refused.Count);
        Assert.All(refused, f => Assert.Equal("OVER_CAPACITY", (string?)f["error"]!["code"]));
        int firstOk = results.IndexOf(ok[0]);
        Assert.True(firstOk == refused.Count, "every refusal arrived before the first accepted call finished: nothing waited");
        await Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.Queued == 0);
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - before < 16 << 20, "memory grew by more than 16 MiB");
    }

    [Fact]
    public async Task ClosedLoopOfInstantCalls_NeverBreaksTheConnection()
    {
        // Regression (found by perf/ExaiFast.Load): a 0 ms call could finish on a worker before Submit armed its
        // deadline; the disposed token source threw on the reader and the connection was dropped. It shows with the
        // real executable's inline socket completions (this test process can't switch them on for itself), in Release
        // builds as scripts/test.sh makes them: there it failed on the old code within a few hundred calls.
        await using var daemon = ExaiFastProcess.Start("serve", "--port", "0");
        int port = await daemon.WaitForPortAsync();
        await using var client = await ExaiWsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"));
        for (int i = 0; i < 3000; i++)
        {
            await client.CallAsync($"i{i}", "chat", new JsonObject { ["prompt"] = $"n{i}" });
            Assert.True((bool)(await client.ResultAsync($"i{i}"))["ok"]!);
        }
    }

    [Fact]
    public async Task FiftyThreadsResolvingProviders_SeeOneInstanceEach()
    {
        await using var daemon = await Daemon.StartAsync();
        var seen = new (LocalModelProvider Local, ProviderRegistry Registry, IToolCatalog Tools, IModelProvider Resolved)[50];
        using var start = new Barrier(50);
        var threads = Enumerable.Range(0, 50).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            var registry = daemon.Services.GetRequiredService<ProviderRegistry>();
            registry.TryResolve("auto", out var resolved, out _);
            seen[i] = (daemon.Services.GetRequiredService<LocalModelProvider>(), registry, daemon.Services.GetRequiredService<IToolCatalog>(), resolved);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Single(seen.Select(s => s.Local).Distinct());
        Assert.Single(seen.Select(s => s.Registry).Distinct());
        Assert.Single(seen.Select(s => s.Tools).Distinct());
        Assert.Same(seen[0].Local, seen[0].Resolved);
        Assert.All(seen, s => Assert.Same(seen[0].Local, s.Resolved));
    }
}

/// <summary>Runs <see cref="ExaiWsReliabilityTests"/> with no other test class in parallel (see its remarks).</summary>
[CollectionDefinition(nameof(ExaiWsReliabilityTests), DisableParallelization = true)]
public sealed class ExaiWsReliabilityCollection;
