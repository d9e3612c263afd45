using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Tools.Schema;

/// <summary>A string argument.</summary>
internal sealed class TextField(string name, string description, bool required, bool nonBlank, int maxLength, string[]? oneOf, string? format)
    : ToolField(name, description, required)
{
    private protected override void WriteType(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "string"); // non-blank and maxLength: guards, enforced unlisted (ToolField)
        if (format is not null)
        {
            writer.WriteString("format", format);
        }

        if (oneOf is not null)
        {
            writer.WriteStartArray("enum");
            foreach (string value in oneOf)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }
    }

    internal override string? Check(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return nonBlank ? $"'{path}' must be a non-empty string" : $"'{path}' must be a string";
        }

        if (nonBlank && IsBlank(value))
        {
            return $"'{path}' must be a non-empty string";
        }

        if (oneOf is not null)
        {
            foreach (string allowed in oneOf)
            {
                if (value.ValueEquals(allowed))
                {
                    return null;
                }
            }

            return $"'{path}' must be one of {string.Join(", ", oneOf)}";
        }

        if (maxLength != int.MaxValue && value.GetString()!.Length > maxLength)
        {
            return $"'{path}' must be at most {maxLength} characters";
        }

        if (format == "uuid" && !Guid.TryParse(value.GetString(), out _))
        {
            return $"'{path}' must be a UUID (as an earlier answer returned it)";
        }

        return null;
    }

    // Blank as string.Trim sees it, decided in place (escapes included): validation runs on the connection's reader, and
    // a big escaped prompt read into a string here cost a 60 MiB copy and a pooled 32 MiB unescape buffer.
    private static bool IsBlank(JsonElement value) => JsonStrings.IsBlank(value);
}
