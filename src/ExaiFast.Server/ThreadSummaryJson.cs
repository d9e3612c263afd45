using System.Globalization;
using System.Text.Json;
using ExaiFast.Core.Threads;

namespace ExaiFast.Server;

/// <summary>A thread summary on exai-ws (<c>list_threads_res</c>, <c>read_thread_res</c>): written by the daemon, read by the stdio bridge.</summary>
internal static class ThreadSummaryJson
{
    public static void Write(Utf8JsonWriter json, ThreadSummary thread)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, thread.Id.ToString("D"));
        json.WriteString("title"u8, thread.Title);
        json.WriteString("tool"u8, thread.Tool);
        if (thread.Model is { } model)
        {
            json.WriteString("model"u8, model);
        }

        json.WriteNumber("turns"u8, thread.Turns);
        json.WriteString("created_at"u8, thread.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("updated_at"u8, thread.UpdatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        json.WriteEndObject();
    }

    /// <summary>The summary in <paramref name="json"/>, or null when it is not one (a daemon of another version).</summary>
    public static ThreadSummary? Read(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object
            || !json.TryGetProperty("id"u8, out var id) || id.ValueKind != JsonValueKind.String || !Guid.TryParse(id.GetString(), out var guid)
            || !json.TryGetProperty("title"u8, out var title) || title.ValueKind != JsonValueKind.String
            || !json.TryGetProperty("tool"u8, out var tool) || tool.ValueKind != JsonValueKind.String
            || !json.TryGetProperty("turns"u8, out var turns) || !turns.TryGetInt32(out int count)
            || !json.TryGetProperty("created_at"u8, out var created) || !created.TryGetDateTimeOffset(out var createdAt)
            || !json.TryGetProperty("updated_at"u8, out var updated) || !updated.TryGetDateTimeOffset(out var updatedAt))
        {
            return null;
        }

        string? model = json.TryGetProperty("model"u8, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        return new ThreadSummary(guid, title.GetString()!, tool.GetString()!, model, count, createdAt, updatedAt);
    }
}
