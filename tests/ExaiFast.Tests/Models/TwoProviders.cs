using System.Text.Json.Nodes;
using ExaiFast.Models;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// Kimi and GLM, each played by a fake server (every model of each answering as its behaviour says, unless
/// <see cref="FakeOpenAIServer.Behaviors"/> is changed), and a daemon (the real composition root) configured with both.
/// </summary>
internal sealed class TwoProviders : IAsyncDisposable
{
    public required FakeOpenAIServer Kimi { get; init; }

    public required FakeOpenAIServer Glm { get; init; }

    public required Daemon Daemon { get; init; }

    public static async Task<TwoProviders> StartAsync(string kimiBehavior, string glmBehavior, Dictionary<string, string>? extra = null)
    {
        var kimi = FakeOpenAIServer.Start();
        var glm = FakeOpenAIServer.Start();
        foreach (var model in KnownModels.Kimi)
        {
            kimi.Behaviors[model.Name] = kimiBehavior;
        }

        foreach (var model in KnownModels.Glm)
        {
            glm.Behaviors[model.Name] = glmBehavior;
        }

        var env = new Dictionary<string, string>
        {
            ["KIMI_API_KEY"] = "kimi-key", ["KIMI_API_URL"] = kimi.BaseUrl.ToString(),
            ["GLM_API_KEY"] = "glm-key", ["GLM_API_URL"] = glm.BaseUrl.ToString(),
            ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "5", ["EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS"] = "5",
            ["EXAIFAST_PROVIDER_RETRY_DELAY_SECS"] = "0.01", ["EXAI_WS_CALL_TIMEOUT_SECS"] = "30",
            ["EXAIFAST_BREAKER_MIN_THROUGHPUT"] = "1000", ["EXAIFAST_BREAKER_CONSECUTIVE_FAILURES"] = "1000",
        };
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        return new TwoProviders { Kimi = kimi, Glm = glm, Daemon = await Daemon.StartAsync(env) };
    }

    public async Task<JsonObject> ChatAsync(JsonObject arguments, string requestId = "c1")
    {
        await using var client = await ExaiWsClient.ConnectAsync(Daemon.Uri);
        arguments["prompt"] ??= "hello";
        await client.CallAsync(requestId, "chat", arguments);
        return await client.ResultAsync(requestId, 60_000);
    }

    /// <summary>The value of one series of the daemon's /metrics, 0 when absent.</summary>
    public Task<double> MetricAsync(string series) => DaemonMetrics.ReadAsync(Daemon, series);

    /// <summary>Waits (bounded) until the series has <paramref name="value"/>.</summary>
    public Task MetricReachesAsync(string series, double value) => DaemonMetrics.ReachesAsync(Daemon, series, value);

    public async ValueTask DisposeAsync()
    {
        await Daemon.DisposeAsync();
        await Kimi.DisposeAsync();
        await Glm.DisposeAsync();
    }
}
