using System.Text.Json.Nodes;
using ExaiFast.Core.Dispatch;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.ExaiWs;

/// <summary><c>EXAI_WS_DISABLE_COALESCE_FOR_TOOLS</c> end to end: what the local model really ran.</summary>
public class CoalescingSettingTests
{
    [Theory]
    [InlineData("chat", 2, 0)]          // listed: each identical call runs
    [InlineData("version, chat", 2, 0)] // in a list, spaces trimmed
    [InlineData("version", 1, 1)]       // chat unlisted: the twin shares the first execution
    [InlineData("", 1, 1)]              // unset: the default coalesces
    public async Task IdenticalConcurrentCalls_RunEach_OnlyForListedTools(string disabled, int modelRequests, int coalesced)
    {
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_DISABLE_COALESCE_FOR_TOOLS"] = disabled });
        var submissions = daemon.Services.GetRequiredService<DispatchMetrics>().Submissions;
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        // Long enough that the twin is submitted while the first runs, however slow the machine.
        var args = new JsonObject { ["prompt"] = "same", ["local_latency_ms"] = 3000 };

        await client.CallAsync("c1", "chat", args.DeepClone().AsObject());
        await client.CallAsync("c2", "chat", args.DeepClone().AsObject());
        await client.WaitForAsync(f => (string?)f["op"] == "call_tool_ack" && (string?)f["request_id"] == "c2");
        Assert.True(daemon.LocalModel.Completed == 0, "the first call ended before its twin arrived: nothing could be coalesced");

        var one = await client.ResultAsync("c1");
        var two = await client.ResultAsync("c2");
        Assert.Equal((string?)one["text"], (string?)two["text"]);
        Assert.Equal(modelRequests, daemon.LocalModel.Requests);
        Assert.Equal(coalesced, submissions.WithLabels("coalesced").Value);
    }
}
