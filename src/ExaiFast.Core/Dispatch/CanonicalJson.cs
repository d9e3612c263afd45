using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ExaiFast.Core.Dispatch;

/// <summary>A stable hash of a JSON value: object properties sorted by name, no whitespace — for single-flight keys.</summary>
/// <remarks>Writes into a pooled buffer and sorts properties in rented arrays: per call, only the writer is allocated.</remarks>
internal static class CanonicalJson
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static FlightKey Hash(string sessionId, string tool, JsonElement arguments)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Encoding.UTF8.GetBytes(sessionId, buffer);
        buffer.Write<byte>([0]);
        Encoding.UTF8.GetBytes(tool, buffer);
        buffer.Write<byte>([0]);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        Write(writer, arguments);
        writer.Flush();
        writer.Reset();

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.WrittenSpan, hash);
        var halves = MemoryMarshal.Cast<byte, UInt128>(hash);
        if (buffer.Capacity > 64 * 1024)
        {
            t_buffer = null; // don't keep a huge prompt's buffer alive on this thread
        }

        return new FlightKey(halves[0], halves[1]);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                int count = 0;
                foreach (var _ in element.EnumerateObject())
                {
                    count++;
                }

                var properties = ArrayPool<JsonProperty>.Shared.Rent(count);
                try
                {
                    int i = 0;
                    foreach (var property in element.EnumerateObject())
                    {
                        properties[i++] = property;
                    }

                    Array.Sort(properties, 0, count, PropertyNameComparer.Instance);
                    writer.WriteStartObject();
                    for (i = 0; i < count; i++)
                    {
                        writer.WritePropertyName(properties[i].Name);
                        Write(writer, properties[i].Value);
                    }

                    writer.WriteEndObject();
                }
                finally
                {
                    ArrayPool<JsonProperty>.Shared.Return(properties, clearArray: true);
                }

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

    private sealed class PropertyNameComparer : IComparer<JsonProperty>
    {
        public static readonly PropertyNameComparer Instance = new();

        public int Compare(JsonProperty x, JsonProperty y) => string.CompareOrdinal(x.Name, y.Name);
    }
}
