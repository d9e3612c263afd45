using System.Diagnostics;
using System.Text.Json.Nodes;
using ExaiFast.Server.ExaiWs;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>
/// The disconnect grace (EXAI_WS_DISCONNECT_GRACE_SECS) run out for real: a vanished session's calls keep running for
/// the grace, for a reconnect to collect, and are cancelled — the model request stopped — only when nobody came back.
/// </summary>
public class DisconnectGraceTests
{
    [Fact]
    public async Task AVanishedSessionsCall_RunsThroughTheGrace_ThenIsCancelledAtTheModel()
    {
        const double GraceSeconds = 3;
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_DISCONNECT_GRACE_SECS"] = $"{GraceSeconds}" });
        var handler = daemon.Services.GetRequiredService<ExaiWsHandler>();
        var client = await ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: "gone-for-good");
        await client.CallAsync("long", "chat", new JsonObject { ["prompt"] = "long", ["local_latency_ms"] = 60_000 });
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 1);

        client.Vanish();
        await ExaiWsProtocolTests.Eventually(() => handler.Sessions == 0); // the daemon has seen the session go
        var sinceGone = Stopwatch.StartNew();
        bool runningAfterLeaving = daemon.Dispatcher.Inflight == 1 && daemon.LocalModel.Cancelled == 0;
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0, 30_000);

        Assert.True(runningAfterLeaving, "the call was cancelled at once, not after the grace");
        Assert.True(sinceGone.Elapsed.TotalSeconds >= GraceSeconds - 0.5, $"cancelled {sinceGone.Elapsed.TotalSeconds:0.00} s after the session left, before its {GraceSeconds} s grace");
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 0);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task WhileAnotherConnectionOfTheSessionLives_TheGraceCancelsNothing()
    {
        // A session with two connections loses one while its call runs. A witness session that vanishes just after
        // shows when that grace has run out (its own call is cancelled then); only after that does the session's live
        // connection ask for the call again — and it must find it still running and get the real result.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "0.3" });
        var handler = daemon.Services.GetRequiredService<ExaiWsHandler>();
        var first = await ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: "two-doors");
        await using var second = await ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: "two-doors");
        var witness = await ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: "witness");
        await first.CallAsync("shared", "chat", new JsonObject { ["prompt"] = "outlive the grace", ["local_latency_ms"] = 4_000 });
        await witness.CallAsync("w", "chat", new JsonObject { ["prompt"] = "witness", ["local_latency_ms"] = 60_000 });
        await ExaiWsProtocolTests.Eventually(() => daemon.Dispatcher.BusySlots == 2);

        first.Vanish();
        await ExaiWsProtocolTests.Eventually(() => handler.Connections == 2);
        witness.Vanish();
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1); // the witness's grace, begun after the first's, is over
        await second.CallAsync("shared", "chat", new JsonObject { ["prompt"] = "outlive the grace", ["local_latency_ms"] = 4_000 });
        var result = await second.ResultAsync("shared");

        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(2, daemon.LocalModel.Requests); // the shared call ran once, to its end
        Assert.Equal(1, daemon.LocalModel.Cancelled); // only the witness
        await first.DisposeAsync();
        await witness.DisposeAsync();
    }
}
