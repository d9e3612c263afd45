using System.Text.Json;
using ExaiFast.Core.Dispatch;

namespace ExaiFast.Server;

/// <summary>
/// The daemon's health as JSON fields: the body of exai-ws <c>health_res</c>'s <c>health</c> object, and of the health
/// file (<c>EXAIFAST_HEALTH_FILE</c>), so that both always say the same thing from the same source.
/// </summary>
internal static class HealthJson
{
    /// <summary>Writes uptime, sessions, connections, calls in flight and queued, capacity, tool count, memory level and providers into the open object.</summary>
    public static void WriteFields(Utf8JsonWriter json, IDaemonStatus status, int toolCount, IReadOnlyDictionary<string, bool> providers)
    {
        json.WriteNumber("uptime_s"u8, Math.Round(status.UptimeSeconds, 3));
        json.WriteNumber("sessions"u8, status.Sessions);
        json.WriteNumber("connections"u8, status.Connections);
        json.WriteNumber("inflight"u8, status.Inflight);
        json.WriteNumber("queued"u8, status.Queued);
        json.WriteNumber("capacity"u8, status.Capacity);
        json.WriteNumber("tool_count"u8, toolCount);
        json.WriteString("memory"u8, MemoryName(status.Memory));
        json.WriteStartObject("providers"u8);
        foreach (var (name, available) in providers)
        {
            json.WriteStartObject(name);
            json.WriteString("state"u8, available ? "available" : "unavailable");
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>The memory level as reported in <c>health_res</c>, the health file and <c>/ready</c>.</summary>
    public static string MemoryName(MemoryPressure level) => level switch
    {
        MemoryPressure.Normal => "normal",
        MemoryPressure.High => "high",
        _ => "critical",
    };
}
