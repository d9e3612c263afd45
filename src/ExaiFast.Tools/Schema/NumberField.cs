using System.Text.Json;

namespace ExaiFast.Tools.Schema;

/// <summary>A number argument with bounds.</summary>
internal sealed class NumberField(string name, string description, bool required, double min, double max) : ToolField(name, description, required)
{
    private protected override void WriteType(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "number");
        writer.WriteNumber("minimum", min);
        writer.WriteNumber("maximum", max);
    }

    internal override string? Check(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double d) && d >= min && d <= max
            ? null
            : $"'{path}' must be a number from {min} to {max}";
}
