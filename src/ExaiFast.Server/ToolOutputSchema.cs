using System.Buffers;
using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server;

/// <summary>
/// The <c>outputSchema</c> a tool lists (2025-06-18 on) for the <c>structuredContent</c> its results carry: what a
/// client program needs without parsing the text, which stays the content the model reads.
/// </summary>
/// <remarks>
/// The fields are the daemon's, not a tool's (status, thread, model, usage), and a tool declares only those its results
/// can hold (<see cref="ITool.ResultFields"/>): every declared field costs each client's context on every listing.
/// <c>status</c> is <c>ok</c> or <c>error</c>, or a workflow's own (<c>debug_in_progress</c>, <c>planning</c>, …);
/// <c>error_code</c> comes with <c>error</c>; <c>truncated</c> says the content was cut to <c>MAX_MCP_OUTPUT_TOKENS</c>
/// (<see cref="Mcp.OutputCut"/>). To keep the listing small, the <c>omitted_characters</c> beside it is left undeclared
/// (the schema allows more fields), and so is <c>status</c>'s being required (every result has one).
/// </remarks>
internal static class ToolOutputSchema
{
    private static readonly byte[][] s_schemas = [.. Enumerable.Range(0, 8).Select(f => Build((ToolResultFields)f))];

    /// <summary>The schema of results carrying <paramref name="fields"/> (compact UTF-8 JSON).</summary>
    public static ReadOnlySpan<byte> For(ToolResultFields fields) => s_schemas[(int)fields & 7];

    private static byte[] Build(ToolResultFields fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "object");
            json.WriteStartObject("properties"u8);
            Property(json, "status"u8, "string"u8);
            if (fields.HasFlag(ToolResultFields.Thread))
            {
                Property(json, "continuation_id"u8, "string"u8);
            }

            if (fields.HasFlag(ToolResultFields.Model))
            {
                Property(json, "model"u8, "string"u8);
                Property(json, "provider"u8, "string"u8);
            }

            if (fields.HasFlag(ToolResultFields.NextCall))
            {
                Property(json, "next_call"u8, "object"u8);
            }

            if (fields.HasFlag(ToolResultFields.Model))
            {
                Property(json, "usage"u8, "object"u8);
            }

            Property(json, "error_code"u8, "string"u8);
            Property(json, "truncated"u8, "boolean"u8);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Property(Utf8JsonWriter json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> type)
    {
        json.WriteStartObject(name);
        json.WriteString("type"u8, type);
        json.WriteEndObject();
    }
}
