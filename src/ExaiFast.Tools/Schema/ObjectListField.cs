using System.Text.Json;

namespace ExaiFast.Tools.Schema;

/// <summary>An array-of-objects argument whose items have declared fields of their own.</summary>
internal sealed class ObjectListField(string name, string description, bool required, ToolFields items, int minItems, int maxItems) : ToolField(name, description, required)
{
    private protected override void WriteType(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "array");
        writer.WritePropertyName("items");
        items.WriteObjectSchema(writer);
        if (minItems > 0)
        {
            writer.WriteNumber("minItems", minItems);
        }

        // maxItems: a guard, enforced unlisted (ToolField)
    }

    internal override string? Check(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return $"'{path}' must be an array of objects";
        }

        int count = value.GetArrayLength();
        if (count < minItems || count > maxItems)
        {
            return minItems > 0 ? $"'{path}' must hold from {minItems} to {maxItems} items" : $"'{path}' may hold at most {maxItems} items";
        }

        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (items.Check(item, $"{path}[{i}]") is { } error)
            {
                return error;
            }

            i++;
        }

        return null;
    }
}
