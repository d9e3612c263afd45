using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Workflows;

/// <summary>
/// Calls beyond the global limit wait for a running slot in their lane's queue instead of being refused: with the
/// default limits, 30 two-step workflows at once on 5 connections all finish, their final steps (each a model request)
/// more than the 24 the daemon runs at once.
/// </summary>
public class WorkflowAdmissionTests
{
    [Fact]
    public async Task ThirtyTwoStepWorkflowsAtOnce_OnFiveConnections_AllComplete_WithTheDefaultLimits()
    {
        const int Workflows = 30, Connections = 5;
        await using var daemon = await Daemon.StartAsync(new()
        {
            // The global (24) and session (8) limits are the defaults; the local lane's slots do not hold the calls back.
            ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "30",
        });
        var clients = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => ExaiWsClient.ConnectAsync(daemon.Uri)));
        try
        {
            var threads = await Task.WhenAll(Enumerable.Range(0, Workflows).Select(async i =>
                (string)(await WorkflowCalls.OkAsync(clients[i % Connections], "analyze", WorkflowCalls.Step(1, 2, true, $"first look {i}")))["continuation_id"]!));

            // Every final step at once: 30 model requests of 500 ms each, more than the daemon runs at once.
            var finals = await Task.WhenAll(Enumerable.Range(0, Workflows).Select(i =>
                WorkflowCalls.CallAsync(clients[i % Connections], "analyze", WorkflowCalls.Step(2, 2, false, $"conclusion {i}", threads[i], new() { ["local_latency_ms"] = 500 }))));

            var refused = finals.Where(f => !(bool)f["ok"]!).Select(f => f.ToJsonString()).ToList();
            Assert.True(refused.Count == 0, $"{refused.Count} of {Workflows} refused: {string.Join("; ", refused.Take(3))}");
            Assert.All(finals, f => Assert.Equal("analyze_complete", (string?)WorkflowCalls.Body(f)["status"]));
            await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.Inflight == 0 && daemon.Dispatcher.Queued == 0);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
