using System.Text.Json;

namespace ExaiFast.Tools.Schema;

/// <summary>A boolean argument.</summary>
internal sealed class BooleanField(string name, string description, bool required) : ToolField(name, description, required)
{
    private protected override void WriteType(Utf8JsonWriter writer) => writer.WriteString("type", "boolean");

    internal override string? Check(JsonElement value, string path) =>
        value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : $"'{path}' must be true or false";
}
