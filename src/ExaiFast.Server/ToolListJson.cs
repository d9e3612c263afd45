using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Mcp;

namespace ExaiFast.Server;

/// <summary>The <c>tools</c> array both front doors list: name, description and JSON input schema, catalog order.</summary>
internal static class ToolListJson
{
    /// <param name="json">The writer, inside the object that holds the array.</param>
    /// <param name="catalog">The tools.</param>
    /// <param name="shape">What the client's revision knows, or <see cref="ToolShape.ExaiWs"/>.</param>
    public static void Write(Utf8JsonWriter json, IToolCatalog catalog, ToolShape shape)
    {
        json.WriteStartArray("tools"u8);
        foreach (var tool in catalog.All)
        {
            json.WriteStartObject();
            json.WriteString("name"u8, tool.Name);
            bool annotated = shape is ToolShape.Annotated or ToolShape.Structured;
            var hints = annotated ? tool.Annotations : default;
            if (shape == ToolShape.Structured)
            {
                json.WriteString("title"u8, hints.Title);
            }

            json.WriteString("description"u8, tool.Description);
            json.WritePropertyName("inputSchema"u8);
            json.WriteRawValue(shape == ToolShape.ExaiWs ? tool.ExaiWsInputSchema.Span : tool.InputSchema.Span, skipInputValidation: true);
            if (shape == ToolShape.Structured)
            {
                json.WritePropertyName("outputSchema"u8);
                json.WriteRawValue(ToolOutputSchema.For(tool.ResultFields), skipInputValidation: true);
            }

            if (annotated)
            {
                WriteAnnotations(json, hints, withTitle: shape == ToolShape.Annotated);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    // A hint is written where it differs from MCP's default (not read-only, open world, not idempotent): readOnlyHint
    // always (every tool is read-only), openWorldHint only where false (a tool that asks no model), idempotentHint only
    // where true; a default costs every tool's listing bytes and tells a client nothing. 2025-06-18 clients read the
    // title from the tool itself.
    private static void WriteAnnotations(Utf8JsonWriter json, ToolAnnotations hints, bool withTitle)
    {
        json.WriteStartObject("annotations"u8);
        if (withTitle)
        {
            json.WriteString("title"u8, hints.Title);
        }

        json.WriteBoolean("readOnlyHint"u8, hints.ReadOnly);
        if (!hints.OpenWorld)
        {
            json.WriteBoolean("openWorldHint"u8, false);
        }
        if (hints.Idempotent)
        {
            json.WriteBoolean("idempotentHint"u8, true);
        }

        json.WriteEndObject();
    }
}
