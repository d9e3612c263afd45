using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server;

/// <summary>The <c>tools</c> array both front doors list: name, description and JSON input schema, catalog order.</summary>
internal static class ToolListJson
{
    public static void Write(Utf8JsonWriter json, IToolCatalog catalog)
    {
        json.WriteStartArray("tools"u8);
        foreach (var tool in catalog.All)
        {
            json.WriteStartObject();
            json.WriteString("name"u8, tool.Name);
            json.WriteString("description"u8, tool.Description);
            json.WritePropertyName("inputSchema"u8);
            json.WriteRawValue(tool.InputSchema.Span, skipInputValidation: true);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
