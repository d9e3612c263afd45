using System.Text.Json;
using System.Text.Json.Nodes;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Logging;

/// <summary>
/// Every JSON log line about a call names it: the real executable (<c>--log-format json</c>, debug) whose provider is a
/// real HTTP server failing the call's model request with a 500. Each line that names the call's request id or the
/// failing model — the provider's failure line and the call's end at least — carries request_id, session_id, tool and
/// lane with the call's values, and outcome where the line states one.
/// </summary>
public class CallFieldsInJsonLogsTests
{
    private const int SigTerm = 15;
    private const string Failing = "status-500";

    [Fact]
    public async Task EveryLineAboutAFailedCall_CarriesItsRequestSessionToolLane_AndOutcome()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = ExaiFastProcess.Start(new Dictionary<string, string>
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = Failing,
            ["EXAIFAST_PROVIDER_RETRY_DELAY_SECS"] = "0.01",
            ["EXAIFAST_LOG_FORMAT"] = "json",
        }, "serve", "--port", "0", "--log-level", "debug");
        int port = await daemon.WaitForReadyAsync();
        string session;
        await using (var client = await ExaiWsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/")))
        {
            session = client.SessionId!;
            await client.CallAsync("failing-call", "chat", new JsonObject { ["prompt"] = "hi", ["model"] = Failing });
            var result = await client.ResultAsync("failing-call", 60_000);
            Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
        }

        daemon.Signal(SigTerm);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30))); // flushes the log

        var about = new List<JsonObject>();
        foreach (string line in daemon.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(line.StartsWith('{'), "not a JSON line: " + line);
            var entry = JsonNode.Parse(line)!.AsObject();
            if ((string?)entry["request_id"] == "failing-call" || line.Contains(Failing, StringComparison.Ordinal))
            {
                about.Add(entry);
            }
        }

        Assert.Contains(about, e => ((string?)e["Message"])!.StartsWith("Provider openai failed a request for " + Failing, StringComparison.Ordinal));
        Assert.Contains(about, e => ((string?)e["Message"])!.StartsWith("Call failing-call ", StringComparison.Ordinal) && (string?)e["outcome"] == "PROVIDER_ERROR");
        foreach (var entry in about)
        {
            string json = entry.ToJsonString();
            Assert.True((string?)entry["request_id"] == "failing-call", json);
            Assert.True((string?)entry["session_id"] == session, json);
            Assert.True((string?)entry["tool"] == "chat", json);
            Assert.True((string?)entry["lane"] == "openai", json);
            Assert.True(entry["outcome"] is null || (string?)entry["outcome"] == "PROVIDER_ERROR", json);
        }
    }
}
