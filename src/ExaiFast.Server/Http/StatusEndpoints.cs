using System.Text.Json;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server.Http;

/// <summary>Bodies of <c>/health</c> and <c>/ready</c>.</summary>
internal static class StatusEndpoints
{
    public static byte[] Health(ServerContext ctx)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", "ok");
            json.WriteNumber("uptime_s", Math.Round(ctx.Time.GetElapsedTime(ctx.StartedAt).TotalSeconds, 3));
            json.WriteNumber("connections", ctx.Registry.Count);
            json.WriteNumber("websockets", ctx.Registry.WebSocketCount);
            json.WriteBoolean("draining", ctx.IsDraining);
            json.WriteString("version", ServerInfo.Version);
            WriteStore(json, ctx);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static (int Status, byte[] Body) Ready(ServerContext ctx)
    {
        var memory = ctx.Status?.Memory ?? MemoryPressure.Normal;
        var providers = ctx.Models?.Invoke();
        bool models = providers?.Usable ?? true;
        bool ready = ctx.IsListening && !ctx.IsDraining && memory != MemoryPressure.Critical && models;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteBoolean("ready", ready);
            json.WriteBoolean("listening", ctx.IsListening);
            json.WriteBoolean("draining", ctx.IsDraining);
            json.WriteString("memory", HealthJson.MemoryName(memory));
            json.WriteBoolean("models", models);
            if (providers is not null)
            {
                WriteProviders(json, providers.Providers);
            }

            WriteStore(json, ctx);
            json.WriteEndObject();
        }

        return (ready ? 200 : 503, buffer.WrittenSpan.ToArray());
    }

    // {"openai":{"up":true,"deployments":{"answer":"closed","status-500":"open"}}}: why "models" is what it is.
    private static void WriteProviders(Utf8JsonWriter json, IReadOnlyList<ProviderReadiness> providers)
    {
        json.WriteStartObject("providers");
        foreach (var provider in providers)
        {
            json.WriteStartObject(provider.Name);
            json.WriteBoolean("up", provider.Up);
            json.WriteStartObject("deployments");
            foreach (var deployment in provider.Deployments)
            {
                json.WriteString(deployment.Model, deployment.State);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    // Shown, never part of readiness: with Redis down only thread calls fail (STORE_UNAVAILABLE), and a load balancer
    // that took every daemon out for it would refuse the calls that need no thread as well.
    private static void WriteStore(Utf8JsonWriter json, ServerContext ctx)
    {
        if (ctx.Store is { } store)
        {
            json.WriteString(store.Kind, store.IsUp ? "up" : "down");
        }
    }
}
