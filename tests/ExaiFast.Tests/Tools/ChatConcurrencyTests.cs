using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Tools;

/// <summary>
/// Conversations under concurrency, end to end: 100 calls continuing one thread at once from several connections are
/// each recorded exactly once (the thread ends with 1 + 100 turns); 100 conversations at once on distinct threads never
/// see each other's history.
/// </summary>
public partial class ChatConcurrencyTests
{
    private const int Calls = 100;
    private const int Connections = 5;

    private static readonly Dictionary<string, string> Roomy = new()
    {
        ["MAX_CONVERSATION_TURNS"] = "1000",
        ["EXAI_WS_GLOBAL_MAX_INFLIGHT"] = "1000", ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "1000", ["EXAI_WS_QUEUE_DEPTH"] = "1000",
    };

    [Fact]
    public async Task HundredCallsOnOneThread_FromSeveralConnections_EveryTurnRecordedOnce()
    {
        await using var daemon = await Daemon.StartAsync(Roomy);
        var clients = new List<ExaiWsClient>();
        try
        {
            for (int c = 0; c < Connections; c++)
            {
                clients.Add(await ExaiWsClient.ConnectAsync(daemon.Uri));
            }

            await clients[0].CallAsync("open", "chat", new JsonObject { ["prompt"] = "open" });
            string thread = (string)(await clients[0].ResultAsync("open"))["continuation_id"]!;

            // Distinct prompts: identical concurrent calls could be coalesced into one, and this is about distinct turns.
            var results = await Task.WhenAll(Enumerable.Range(0, Calls).Select(async i =>
            {
                var client = clients[i % Connections];
                // A little latency: the calls are in flight together, each holding the thread as it found it.
                await client.CallAsync($"c{i}", "chat", new JsonObject { ["prompt"] = $"turn {i}", ["continuation_id"] = thread, ["local_latency_ms"] = 5 });
                return await client.ResultAsync($"c{i}", timeoutMs: 60_000);
            }));

            var earlier = new List<int>();
            foreach (var result in results)
            {
                Assert.True((bool)result["ok"]!, result.ToJsonString());
                Assert.Equal(thread, (string?)result["continuation_id"]);
                earlier.Add(EarlierMessages((string)result["text"]!));
            }

            // Each call saw the thread as it was when it started: at least the opening turn, at most every other call.
            Assert.All(earlier, n => Assert.InRange(n, 2, 2 * Calls));

            await clients[0].CallAsync("last", "chat", new JsonObject { ["prompt"] = "count", ["continuation_id"] = thread });
            var last = await clients[0].ResultAsync("last");
            Assert.Equal(2 * (1 + Calls), EarlierMessages((string)last["text"]!));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task HundredConversationsAtOnce_OnDistinctThreads_NeverSeeEachOthersHistory()
    {
        await using var rig = await ProviderRig.StartAsync(Roomy);
        var clients = new List<ExaiWsClient>();
        try
        {
            for (int c = 0; c < Connections; c++)
            {
                clients.Add(await ExaiWsClient.ConnectAsync(rig.Daemon.Uri));
            }

            async Task<JsonObject> CallAsync(int i, string requestId, JsonObject arguments)
            {
                var client = clients[i % Connections];
                await client.CallAsync(requestId, "chat", arguments);
                var result = await client.ResultAsync(requestId, timeoutMs: 60_000);
                Assert.True((bool)result["ok"]!, result.ToJsonString());
                return result;
            }

            // All open at once, then all continue at once: two turns each, on 100 threads.
            var threads = await Task.WhenAll(Enumerable.Range(0, Calls).Select(async i =>
                (string)(await CallAsync(i, $"open{i}", new JsonObject { ["prompt"] = $"conversation {i} begins", ["model"] = "answer" }))["continuation_id"]!));
            Assert.Equal(Calls, threads.Distinct().Count());
            await Task.WhenAll(Enumerable.Range(0, Calls).Select(i =>
                CallAsync(i, $"next{i}", new JsonObject { ["prompt"] = $"conversation {i} continues", ["continuation_id"] = threads[i] })));

            var continuations = rig.Fake.Requests.Select(r => r.Body["messages"]!.AsArray())
                .Where(m => m.Count > 2).ToList();
            Assert.Equal(Calls, continuations.Count);
            foreach (var messages in continuations)
            {
                string current = (string)messages[^1]!["content"]!;
                int i = int.Parse(Conversation().Match(current).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(
                    ["system", "user", "assistant", "user"],
                    messages.Select(m => (string)m!["role"]!).ToArray());
                Assert.Equal($"[chat] conversation {i} begins", (string?)messages[1]!["content"]);
                Assert.Equal($"conversation {i} continues", current);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static int EarlierMessages(string text)
    {
        var match = Earlier().Match(text);
        Assert.True(match.Success, text);
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"after (\d+) earlier messages? of conversation")]
    private static partial Regex Earlier();

    [GeneratedRegex(@"^conversation (\d+) continues$")]
    private static partial Regex Conversation();
}
