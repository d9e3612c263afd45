using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Stress;

/// <summary>
/// Thousands of calls through both front doors at once — identical ones (single-flight), distinct ones, calls that run
/// out their deadline, cancels of running, waiting and finished calls — and every call gets exactly one final answer,
/// in order, with nothing after it; the daemon is left with nothing in flight.
/// </summary>
public class OneFinalAnswerTests
{
    private const int Connections = 6;
    private const int CallsPerConnection = 300;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["EXAI_WS_GLOBAL_MAX_INFLIGHT"] = "64", ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "8", ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "32",
        ["EXAI_WS_QUEUE_DEPTH"] = "1000", ["EXAIFAST_SESSION_QUEUE_DEPTH"] = "300", ["EXAI_WS_CALL_TIMEOUT_SECS"] = "0.2",
        ["EXAI_WS_PROGRESS_INTERVAL_SECS"] = "0.01", ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "0",
    };

    /// <summary>What call <paramref name="i"/> of a connection asks for: some identical, some too slow for their deadline.</summary>
    private static JsonObject Arguments(int i, Random random) => new()
    {
        ["prompt"] = i % 5 == 0 ? "the same question" : $"question {i}",
        ["local_latency_ms"] = i % 25 == 0 ? 5_000 : i % 5 == 0 ? 3 : random.Next(4),
    };

    private static bool CancelsAfter(int i) => i % 9 == 4;

    [Fact]
    public async Task ExaiWs_EveryCallGetsOneCallToolRes_AfterItsAckAndCancelReply_AndNothingAfterIt()
    {
        await using var daemon = await Daemon.StartAsync(Settings);
        var clients = new List<ExaiWsClient>();
        for (int c = 0; c < Connections; c++)
        {
            clients.Add(await ExaiWsClient.ConnectAsync(daemon.Uri));
        }

        await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            var random = new Random(c);
            for (int i = 0; i < CallsPerConnection; i++)
            {
                await client.CallAsync($"r{i}", "chat", Arguments(i, random));
                if (CancelsAfter(i))
                {
                    await client.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = $"r{random.Next(Math.Max(0, i - 3), i + 1)}" });
                }
            }
        })));

        int Answered() => clients.Sum(c => c.All.Count(f => (string?)f["op"] == "call_tool_res"));
        await ExaiWsProtocolTests.Eventually(() => Answered() >= Connections * CallsPerConnection, 60_000);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.InflightKeys == 0 && daemon.Dispatcher.BusySlots == 0);
        foreach (var client in clients)
        {
            await client.SendAsync(new JsonObject { ["op"] = "ping", ["request_id"] = "barrier" });
            await client.WaitForAsync(f => (string?)f["op"] == "pong"); // what the daemon queued before it is in the record
        }

        var outcomes = new Dictionary<string, int>();
        foreach (var client in clients)
        {
            var record = client.All.ToList();
            for (int i = 0; i < CallsPerConnection; i++)
            {
                var frames = record.Where(f => (string?)f["request_id"] == $"r{i}").ToList();
                var ops = frames.Select(f => (string)f["op"]!).ToList();
                Assert.True(ops.Count(op => op == "call_tool_res") == 1, $"r{i}: {string.Join(", ", ops)}");
                int res = ops.IndexOf("call_tool_res");
                int ack = ops.IndexOf("call_tool_ack");
                Assert.True(ack <= 0, $"r{i}: something before its ack: {string.Join(", ", ops)}"); // refused calls have no ack
                Assert.All(ops.Take(res), op => Assert.Contains(op, new[] { "call_tool_ack", "progress", "cancelled", "error" }));
                Assert.All(frames.Where(f => (string?)f["op"] == "error"), f =>
                {
                    // The only frame after a result: the reply to a cancel that came as the call was ending or after it
                    // (then no `cancelled` is sent for it); never a frame about the call.
                    Assert.Contains("no call in flight", (string?)f["error"]!["message"], StringComparison.Ordinal);
                });
                Assert.All(ops.Skip(res + 1), op => Assert.Equal("error", op));
                var result = frames[res];
                string outcome = (bool)result["ok"]! ? "ok" : (string)result["error"]!["code"]!;
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }

        // The mix really exercised each path.
        Assert.True(outcomes.GetValueOrDefault("ok") > 0 && outcomes.GetValueOrDefault("TIMEOUT") > 0 && outcomes.GetValueOrDefault("CANCELLED") > 0,
            string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Mcp_EveryCallNotCancelledGetsOneResponse_ACancelledOneAtMostOne_AndNoProgressAfterIt()
    {
        await using var daemon = await Daemon.StartAsync(Settings);
        var clients = new List<ExaiWsClient>();
        for (int c = 0; c < Connections; c++)
        {
            clients.Add(await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp"));
        }

        var cancelled = clients.Select(_ => new HashSet<int>()).ToList();
        var cancelPings = clients.Select(_ => new Dictionary<string, int>()).ToList(); // the ping sent after each cancel → its target
        await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            var random = new Random(c);
            for (int i = 0; i < CallsPerConnection; i++)
            {
                var parameters = new JsonObject { ["name"] = "chat", ["arguments"] = Arguments(i, random) };
                if (i % 2 == 0)
                {
                    parameters["_meta"] = new JsonObject { ["progressToken"] = $"p{i}" };
                }

                await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = i, ["method"] = "tools/call", ["params"] = parameters });
                if (CancelsAfter(i))
                {
                    int target = random.Next(Math.Max(0, i - 3), i + 1);
                    cancelled[c].Add(target);
                    cancelPings[c][$"after-cancel-{i}"] = target;
                    await client.SendAsync(new JsonObject
                    {
                        ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = target },
                    });

                    // A connection's messages are handled in order: once this ping is answered, the cancel has been.
                    await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = $"after-cancel-{i}", ["method"] = "ping" });
                }
            }
        })));

        int expected = cancelled.Sum(set => CallsPerConnection - set.Count);
        int Answered() => clients.Select((client, c) => client.All.Count(m => m["method"] is null && m["id"] is JsonValue v && v.TryGetValue<int>(out int id) && !cancelled[c].Contains(id))).Sum();
        await ExaiWsProtocolTests.Eventually(() => Answered() >= expected, 60_000);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.InflightKeys == 0
            && daemon.Dispatcher.CallerWaiting == 0 && daemon.Dispatcher.BusySlots == 0);
        foreach (var client in clients)
        {
            await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = "barrier", ["method"] = "ping" });
            await client.WaitForAsync(m => JsonNode.DeepEquals(m["id"], "barrier"));
        }

        var outcomes = new Dictionary<string, int>();
        for (int c = 0; c < Connections; c++)
        {
            var record = clients[c].All.ToList();
            for (int i = 0; i < CallsPerConnection; i++)
            {
                var responses = record.Select((m, at) => (m, at)).Where(x => x.m["method"] is null && x.m["id"] is JsonValue v && v.TryGetValue<int>(out int id) && id == i).ToList();
                if (cancelled[c].Contains(i))
                {
                    Assert.True(responses.Count <= 1, $"cancelled {i} answered {responses.Count} times");
                }
                else
                {
                    Assert.True(responses.Count == 1, $"{i} answered {responses.Count} times");
                }

                var progress = record.Select((m, index) => (m, index))
                    .Where(x => (string?)x.m["method"] == "notifications/progress" && (string?)x.m["params"]!["progressToken"] == $"p{i}").ToList();
                if (responses.Count == 0)
                {
                    // Never answered: then no progress may follow the answer to the ping sent after its (first) cancel.
                    int cancelSeen = record.FindIndex(m => m["method"] is null && m["id"] is JsonValue v && v.TryGetValue<string>(out var id) && cancelPings[c].TryGetValue(id, out int t) && t == i);
                    Assert.True(cancelSeen >= 0, $"no answer to the ping after the cancel of {i}");
                    Assert.All(progress, p => Assert.True(p.index < cancelSeen, $"progress for cancelled {i} after its cancel was handled"));
                    outcomes["no response (cancelled)"] = outcomes.GetValueOrDefault("no response (cancelled)") + 1;
                    continue;
                }

                var (response, at) = responses[0];
                Assert.All(progress, p => Assert.True(p.index < at, $"progress for {i} after its response"));
                var values = progress.Select(p => (double)p.m["params"]!["progress"]!).ToList();
                Assert.Equal(values.Order().Distinct(), values);
                if (i % 2 == 1)
                {
                    Assert.Empty(progress); // no token, no progress
                }

                var result = response["result"]!;
                string outcome = (bool)result["isError"]! ? (string)result["_meta"]!["exaifast/error"]!["code"]! : "ok";
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }

        Assert.True(outcomes.GetValueOrDefault("ok") > 0 && outcomes.GetValueOrDefault("TIMEOUT") > 0 && outcomes.GetValueOrDefault("no response (cancelled)") > 0,
            string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
        // Six sessions of 8 fit the global limit (64), and the lane's queue has room even while workers finish calls that
        // have already timed out: beyond its session's limit an MCP call waits (its queue holds all 300), never refused.
        Assert.False(outcomes.ContainsKey("OVER_CAPACITY"), string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }
}
