using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ExaiFast.Core.Dispatch;

/// <summary>A stable hash of a JSON value: object properties sorted, no whitespace — for single-flight keys.</summary>
internal static class CanonicalJson
{
    public static string Hash(string sessionId, string tool, JsonElement arguments)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write(Encoding.UTF8.GetBytes(sessionId));
        buffer.Write<byte>([0]);
        buffer.Write(Encoding.UTF8.GetBytes(tool));
        buffer.Write<byte>([0]);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, arguments);
        }

        return Convert.ToHexString(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
