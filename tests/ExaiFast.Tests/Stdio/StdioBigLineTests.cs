using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using static ExaiFast.Tests.ExaiWs.BigMessageTests;

namespace ExaiFast.Tests.Stdio;

/// <summary>
/// Big lines for the real <c>exaifast stdio</c> process: big lines (4 MiB prompts) under a 6 MiB inbound budget. In
/// process, a running call keeps its line's budget, so the next big line waits for it (and is refused when it gets none
/// in time); the bridge gives a line's budget back once it has written the call onward, so big calls flow while one
/// runs at the daemon.
/// </summary>
public class StdioBigLineTests
{
    private static Dictionary<string, string> Env(int port, string budgetTimeoutSeconds = "30") => new()
    {
        ["EXAI_WS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["EXAI_WS_MAX_BYTES"] = (5 * MiB).ToString(CultureInfo.InvariantCulture),
        ["EXAIFAST_INBOUND_BUDGET_MB"] = "6",
        ["EXAIFAST_INBOUND_BUDGET_TIMEOUT"] = budgetTimeoutSeconds,
        ["MCP_PROMPT_SIZE_LIMIT"] = "0", // 4 MiB prompts must reach the tool: these test the lines' budget, not the limit
    };

    [Fact]
    public async Task InProcess_ARunningBigCallHoldsItsLinesBudget_UntilItEnds()
    {
        // 5 s: how long the second big line waits before it is refused, and the margin the third has for the first's
        // budget to come back once its call has ended.
        await using var stdio = StdioProcess.Start(Env(StdioBridgeTests.FreePort(), budgetTimeoutSeconds: "5"), "--in-process");
        await stdio.InitializeAsync();

        await stdio.CallAsync(1, new string('a', PromptChars), latencyMs: 600_000);
        await stdio.RequestAsync("read-1", "ping"); // answered once the big line before it was read and its call started
        await stdio.ResponseAsync("read-1", timeoutMs: 60_000);

        // The running call holds 4 of the 6 MiB: this line never fits while it runs, and is refused. The lines behind it
        // are read: the cancel ends the call.
        await stdio.CallAsync(2, new string('b', PromptChars));
        var refused = await stdio.WaitForAsync(m => m["id"] is null && m["error"] is not null, "the refusal of the second big line", timeoutMs: 60_000);
        Assert.Contains("no memory budget", (string?)refused["error"]!["message"], StringComparison.Ordinal);
        await stdio.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = 1 } });
        await WaitForNoOtherCallAsync(stdio);

        await stdio.CallAsync(3, new string('c', PromptChars));
        Assert.Contains(PromptChars.ToString(CultureInfo.InvariantCulture) + " characters", TextOf(await stdio.ResponseAsync(3, timeoutMs: 60_000)), StringComparison.Ordinal);
        Assert.DoesNotContain(stdio.Messages, m => m["id"]?.ToJsonString() is "1" or "2");

        stdio.CloseStdin();
        Assert.Equal(0, await stdio.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Bridge_GivesALinesBudgetBack_OnceItHasWrittenTheCallOnward()
    {
        // The daemon has room for both calls; the bridge's own budget would not hold two 4 MiB lines at once.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_MAX_BYTES"] = (5 * MiB).ToString(CultureInfo.InvariantCulture) });
        await using var bridge = StdioProcess.Start(Env(daemon.EndPoint.Port));
        await bridge.InitializeAsync();

        await bridge.CallAsync(1, new string('a', PromptChars), latencyMs: 600_000);
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 1 && daemon.LocalModel.Requests == 1, because: "the first call did not reach the daemon");

        await bridge.CallAsync(2, new string('b', PromptChars));
        Assert.Contains(PromptChars.ToString(CultureInfo.InvariantCulture) + " characters", TextOf(await bridge.ResponseAsync(2, timeoutMs: 60_000)), StringComparison.Ordinal);
        Assert.Equal(1, daemon.Dispatcher.Inflight); // the first still runs

        await bridge.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = 1 } });
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0, because: "the first call was not cancelled");
    }

    // The status tool counts itself: "calls in flight 1" means every other call has ended.
    private static async Task WaitForNoOtherCallAsync(StdioProcess stdio)
    {
        for (int i = 0; ; i++)
        {
            string id = "status-" + i.ToString(CultureInfo.InvariantCulture);
            await stdio.RequestAsync(id, "tools/call", new JsonObject { ["name"] = "status", ["arguments"] = new JsonObject() });
            if (TextOf(await stdio.ResponseAsync(id)).Contains("calls in flight 1 (", StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(i < 600, "the cancelled call did not end");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private static string TextOf(JsonObject response) => (string?)response["result"]?["content"]?[0]?["text"] ?? response.ToJsonString();
}
