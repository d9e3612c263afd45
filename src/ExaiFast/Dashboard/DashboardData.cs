using System.Buffers;
using System.Text.Json;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Metrics;
using ExaiFast.Models;
using ExaiFast.Server;
using ExaiFast.Server.Hosting;

namespace ExaiFast.Dashboard;

/// <summary>
/// The body of <c>GET /dashboard/data</c>: one reading of everything the dashboard shows, as JSON written by hand
/// (Native AOT). Counters are totals since start; the page turns two readings into rates and windowed percentiles.
/// </summary>
/// <remarks>
/// Only counts, states and the names of providers, models and lanes — never a key, URL, token, prompt or message, so
/// nothing in it needs hiding from whoever holds the daemon's token. The server is looked up on first use: the
/// endpoint is made while the server is being built.
/// </remarks>
internal sealed class DashboardData(
    Func<ExaiFastServer> server,
    IDaemonStatus status,
    Dispatcher dispatcher,
    DispatchMetrics calls,
    ProviderRegistry providers,
    ProviderMetrics usage,
    IStoreStatus? store)
{
    /// <summary>Writes one reading.</summary>
    public byte[] Write()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer))
        {
            var daemon = server();
            json.WriteStartObject();
            json.WriteString("version", ServerInfo.Version);
            json.WriteNumber("uptime_s", Math.Round(status.UptimeSeconds, 3));
            json.WriteBoolean("draining", dispatcher.IsDraining);

            json.WriteStartObject("connections");
            json.WriteNumber("tcp", daemon.ConnectionCount);
            json.WriteNumber("websockets", daemon.WebSocketCount);
            json.WriteNumber("sessions", status.Sessions);
            json.WriteEndObject();

            WriteCalls(json);
            WriteLanes(json);
            WriteLatency(json);
            WriteProviders(json);
            WriteUsage(json);
            WriteStore(json);
            WriteMemory(json);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void WriteCalls(Utf8JsonWriter json)
    {
        var outcomes = calls.Outcomes();
        json.WriteStartObject("calls");
        json.WriteNumber("ok", outcomes.Ok);
        json.WriteNumber("error", outcomes.Error);
        json.WriteNumber("timeout", outcomes.Timeout);
        json.WriteNumber("cancelled", outcomes.Cancelled);
        json.WriteNumber("refused", outcomes.Refused);
        json.WriteNumber("inflight", dispatcher.Inflight);
        json.WriteNumber("queued", dispatcher.Queued);
        json.WriteNumber("session_waiting", dispatcher.CallerWaiting);
        json.WriteEndObject();
    }

    private void WriteLanes(Utf8JsonWriter json)
    {
        json.WriteStartArray("lanes");
        foreach (var lane in dispatcher.LaneLoads())
        {
            json.WriteStartObject();
            json.WriteString("name", lane.Name);
            json.WriteNumber("slots", lane.Slots);
            json.WriteNumber("running", lane.Running);
            json.WriteNumber("queued", lane.Queued);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    // The buckets, not percentiles: the page subtracts an older reading for the last minute's.
    private void WriteLatency(Utf8JsonWriter json)
    {
        json.WriteStartObject("latency");
        json.WriteStartArray("bounds_ms");
        foreach (double bound in CallLatency.BoundsMs)
        {
            json.WriteNumberValue(Math.Round(bound, 3));
        }

        json.WriteEndArray();
        json.WriteStartArray("counts");
        foreach (long count in calls.Latency.Read())
        {
            json.WriteNumberValue(count);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private void WriteProviders(Utf8JsonWriter json)
    {
        json.WriteStartArray("providers");
        foreach (var provider in providers.All)
        {
            json.WriteStartObject();
            json.WriteString("name", provider.Name);
            json.WriteString("state", StateName(provider.State));
            json.WriteStartArray("models");
            foreach (var deployment in provider.Deployments)
            {
                json.WriteStartObject();
                json.WriteString("model", deployment.Model);
                json.WriteString("state", StateName(deployment.State));
                json.WriteNumber("retry_after_s", Math.Round(deployment.RetryAfter.TotalSeconds, 1));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private void WriteUsage(Utf8JsonWriter json)
    {
        json.WriteStartArray("usage");
        foreach (var row in usage.Usage())
        {
            json.WriteStartObject();
            json.WriteString("provider", row.Provider);
            json.WriteString("model", row.Model);
            json.WriteNumber("requests", row.Requests);
            json.WriteNumber("errors", row.Errors);
            json.WriteNumber("prompt_tokens", row.PromptTokens);
            json.WriteNumber("completion_tokens", row.CompletionTokens);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    // Without REDIS_URL threads live in memory: there is no Redis to be down.
    private void WriteStore(Utf8JsonWriter json)
    {
        json.WriteStartObject("store");
        json.WriteString("kind", store?.Kind ?? "memory");
        json.WriteBoolean("up", store?.IsUp ?? true);
        json.WriteEndObject();
    }

    private void WriteMemory(Utf8JsonWriter json)
    {
        json.WriteStartObject("memory");
        json.WriteString("level", HealthJson.MemoryName(dispatcher.MemoryPressure));
        json.WriteNumber("heap_bytes", dispatcher.HeapBytes);
        json.WriteNumber("high_water_bytes", dispatcher.MemoryMarks.HighWater);
        json.WriteNumber("critical_bytes", dispatcher.MemoryMarks.Critical);
        json.WriteEndObject();
    }

    private static string StateName(ProviderState state) => state switch
    {
        ProviderState.Open => "open",
        ProviderState.HalfOpen => "half_open",
        _ => "closed",
    };
}
