using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ExaiFast.Core.Tracing;

namespace ExaiFast.Tests.Models;

/// <summary>
/// A model server nobody listens at is asked again: a connect failure is retried (1 + EXAIFAST_PROVIDER_RETRIES
/// attempts) before the call ends in PROVIDER_ERROR naming the address. Nothing answers, so the attempts are counted by
/// the daemon's own span per HTTP attempt, read here by an in-process listener that keeps those sent to this port.
/// </summary>
public class ConnectFailureRetryTests
{
    [Fact]
    public async Task AConnectFailure_IsRetried_ThenAProviderErrorNamingTheAddress()
    {
        using var unheard = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        unheard.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)unheard.LocalEndPoint!).Port; // bound, never listening: every connect is refused

        var attempts = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ExaiFastTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("server.port") is int p && p == port)
                {
                    attempts.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await using var rig = await ProviderRig.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = $"http://127.0.0.1:{port}/v1",
            ["EXAIFAST_PROVIDER_RETRIES"] = "2",
        });
        var (result, _, _) = await rig.ChatAsync("answer");

        Assert.False((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
        Assert.Contains($"could not connect to 127.0.0.1:{port}", (string)result["error"]!["message"]!, StringComparison.Ordinal);
        // Each attempt's span has ended before the call's result was written.
        Assert.Equal([1, 2, 3], attempts.Select(a => (int)a.GetTagItem("exaifast.attempt")!).Order());
        Assert.All(attempts, a => Assert.Equal("ConnectionError", a.GetTagItem("error.type")));
    }
}
