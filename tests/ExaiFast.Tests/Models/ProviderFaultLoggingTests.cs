using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Fuzz;

namespace ExaiFast.Tests.Models;

/// <summary>
/// An upstream's faults that the daemon handles — a response head that never comes (timed out, retried), a 500
/// (retried) — are warnings in its log, one line per failed request, never errors; Polly's own telemetry (a line per
/// attempt, an error per timeout) is not logged at all. The real composition root logging at information to a stream.
/// </summary>
public class ProviderFaultLoggingTests
{
    [Fact]
    public async Task HandledUpstreamFaults_AreWarnings_AndPollyLogsNothing()
    {
        await using var fake = FakeOpenAIServer.Start();
        var log = new LogCapture();
        var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = "hang-headers,status-500",
            ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "0.3",
            ["EXAIFAST_PROVIDER_RETRY_DELAY_SECS"] = "0.01",
            ["EXAIFAST_LOG_LEVEL"] = "information",
        }, log: log);
        try
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
            foreach (string model in new[] { "hang-headers", "status-500" })
            {
                await client.CallAsync(model, "chat", new JsonObject { ["prompt"] = "hi", ["model"] = model });
                var result = await client.ResultAsync(model, 60_000);
                Assert.False((bool)result["ok"]!, result.ToJsonString());
                Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
            }

            Assert.True(fake.Attempts("status-500") > 1, "the 500 was not retried: Polly had no attempt to log");
        }
        finally
        {
            await daemon.DisposeAsync(); // flushes the log
        }

        string[] lines = log.Lines;
        Assert.Contains(lines, l => l.Contains("failed a request for hang-headers", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("failed a request for status-500", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Polly", StringComparison.Ordinal));
        Assert.Empty(LogCapture.Failures(lines));
    }
}
