using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ExaiFast.Core.Dispatch;

/// <summary>A stable hash of a JSON value: object properties sorted by name, no whitespace — for single-flight keys.</summary>
/// <remarks>
/// <para>Writes into a pooled buffer and sorts properties in rented arrays: per call, only the writer is allocated.</para>
/// <para>A string value longer than <see cref="LargeValueBytes"/> (a big prompt) is hashed from its raw bytes where it
/// lies in the document, not written: writing it copied the prompt into a buffer grown by doubling, and a prompt with
/// one newline made Utf8JsonWriter rent six times its length from the shared pool to escape it (180 MiB for a 30 MiB
/// prompt, kept by the pool afterwards). Its escapes then count as written by the client, so two calls coalesce only
/// if they escape a big value alike — which identical calls do.</para>
/// </remarks>
internal static class CanonicalJson
{
    /// <summary>String values whose raw JSON is longer than this are hashed in place.</summary>
    internal const int LargeValueBytes = 64 * 1024;

    [ThreadStatic]
    private static IncrementalHash? t_hash;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static FlightKey Hash(string caller, string tool, JsonElement arguments)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Encoding.UTF8.GetBytes(caller, buffer);
        buffer.Write<byte>([0]);
        Encoding.UTF8.GetBytes(tool, buffer);
        buffer.Write<byte>([0]);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        var incremental = t_hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Write(writer, arguments, buffer, incremental);
        writer.Flush();
        writer.Reset();

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        incremental.AppendData(buffer.WrittenSpan);
        incremental.GetHashAndReset(hash);
        var halves = MemoryMarshal.Cast<byte, UInt128>(hash);
        if (buffer.Capacity > 64 * 1024)
        {
            t_buffer = null; // don't keep a huge prompt's buffer alive on this thread
        }

        return new FlightKey(halves[0], halves[1]);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element, ArrayBufferWriter<byte> buffer, IncrementalHash hash)
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
                        Write(writer, properties[i].Value, buffer, hash);
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
                    Write(writer, item, buffer, hash);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String when JsonMarshal.GetRawUtf8Value(element) is { Length: > LargeValueBytes } raw:
                // A placeholder keeps the writer's separators right; what was written so far goes into the hash, then
                // a marker no JSON text contains (0xFF is never UTF-8), the raw length, and the raw bytes.
                writer.WriteStringValue(ReadOnlySpan<byte>.Empty);
                writer.Flush();
                hash.AppendData(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
                Span<byte> marker = stackalloc byte[9];
                marker[0] = 0xFF;
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(marker[1..], raw.Length);
                hash.AppendData(marker);
                hash.AppendData(raw);
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
