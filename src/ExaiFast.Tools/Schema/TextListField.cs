using System.Text.Json;

namespace ExaiFast.Tools.Schema;

/// <summary>An array-of-strings argument.</summary>
internal sealed class TextListField(string name, string description, bool required, int maxItems, bool nonBlankItems) : ToolField(name, description, required)
{
    private protected override void WriteType(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "array");
        writer.WriteStartObject("items");
        writer.WriteString("type", "string");
        writer.WriteEndObject(); // non-blank items and maxItems: guards, enforced unlisted (ToolField)
    }

    internal override string? Check(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return $"'{path}' must be an array of strings";
        }

        if (value.GetArrayLength() > maxItems)
        {
            return $"'{path}' may hold at most {maxItems} items";
        }

        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return $"'{path}' must be an array of strings";
            }

            if (nonBlankItems && string.IsNullOrWhiteSpace(item.GetString()))
            {
                return $"'{path}[{i}]' must be a non-empty string";
            }

            i++;
        }

        return null;
    }
}
