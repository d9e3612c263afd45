using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>What the call path costs on the wire: a call that is ready with its ack leaves with it.</summary>
public class CallPathTests
{
    [Fact]
    public async Task AnAckAndTheResultReadyWithIt_LeaveInOneWrite()
    {
        // A 0 ms call on the local model runs inside its Submit on the reader (a free slot, small arguments), so its
        // result is ready when its ack is sent: one flush, one send syscall, for both. Sent as two flushes, the writes
        // would be twice the calls.
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        using var http = new HttpClient();
        var metrics = new Uri($"http://127.0.0.1:{daemon.EndPoint.Port}/metrics");
        const int calls = 200;

        long before = Writes(await http.GetStringAsync(metrics, TestContext.Current.CancellationToken));
        for (int i = 0; i < calls; i++)
        {
            await client.CallAsync($"c{i}", "chat", new JsonObject { ["prompt"] = $"call {i}" });
            var ack = await client.NextAsync();
            var result = await client.NextAsync();
            Assert.Equal("call_tool_ack", (string?)ack["op"]);
            Assert.Equal("call_tool_res", (string?)result["op"]);
            Assert.True((bool)result["ok"]!);
        }

        long writes = Writes(await http.GetStringAsync(metrics, TestContext.Current.CancellationToken)) - before;
        Assert.True(writes < calls * 3 / 2, $"{writes} writes for {calls} calls (ack and result were sent apart)");
    }

    private static long Writes(string metrics) =>
        long.Parse(Regex.Match(metrics, @"^exaifast_ws_writes_total (\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
}
