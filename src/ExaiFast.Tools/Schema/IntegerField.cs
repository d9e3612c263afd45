using System.Text.Json;

namespace ExaiFast.Tools.Schema;

/// <summary>An integer argument with bounds.</summary>
internal sealed class IntegerField(string name, string description, bool required, long min, long max) : ToolField(name, description, required)
{
    private protected override void WriteType(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "integer");
        writer.WriteNumber("minimum", min);
        writer.WriteNumber("maximum", max);
    }

    internal override string? Check(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long i) && i >= min && i <= max
            ? null
            : $"'{path}' must be an integer from {min} to {max}";
}
