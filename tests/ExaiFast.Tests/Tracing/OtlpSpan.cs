using System.Buffers.Binary;
using System.Text;

namespace ExaiFast.Tests.Tracing;

/// <summary>
/// A span as an OTLP <c>ExportTraceServiceRequest</c> carries it, decoded from the protobuf wire format by hand (field
/// numbers from opentelemetry-proto's trace.proto, common.proto and resource.proto): what the test checks, nothing more.
/// </summary>
internal sealed record OtlpSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, object> Attributes, int StatusCode, string Service)
{
    /// <summary>SPAN_KIND_SERVER and SPAN_KIND_CLIENT.</summary>
    public const int Server = 2, Client = 3;

    /// <summary>STATUS_CODE_ERROR.</summary>
    public const int Error = 2;

    public object? this[string attribute] => Attributes.TryGetValue(attribute, out var v) ? v : null;

    public static List<OtlpSpan> DecodeRequest(byte[] body)
    {
        var spans = new List<OtlpSpan>();
        foreach (var (field, resourceSpans) in Fields(body))
        {
            if (field != 1)
            {
                continue; // ExportTraceServiceRequest.resource_spans = 1
            }

            string service = "";
            var scopes = new List<byte[]>();
            foreach (var (f, value) in Fields(resourceSpans.Bytes))
            {
                if (f == 1) // ResourceSpans.resource = 1 → Resource.attributes = 1
                {
                    var attributes = AttributesOf(value.Bytes, 1);
                    service = attributes.TryGetValue("service.name", out var s) ? (string)s : "";
                }
                else if (f == 2) // ResourceSpans.scope_spans = 2
                {
                    scopes.Add(value.Bytes);
                }
            }

            foreach (var scope in scopes)
            {
                foreach (var (f, span) in Fields(scope))
                {
                    if (f == 2) // ScopeSpans.spans = 2
                    {
                        spans.Add(DecodeSpan(span.Bytes, service));
                    }
                }
            }
        }

        return spans;
    }

    private static OtlpSpan DecodeSpan(byte[] bytes, string service)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        int kind = 0, status = 0;
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (f, value) in Fields(bytes))
        {
            switch (f)
            {
                case 1: traceId = Convert.ToHexStringLower(value.Bytes); break;
                case 2: spanId = Convert.ToHexStringLower(value.Bytes); break;
                case 4: parent = Convert.ToHexStringLower(value.Bytes); break;
                case 5: name = Encoding.UTF8.GetString(value.Bytes); break;
                case 6: kind = (int)value.Varint; break;
                case 9: // Span.attributes: KeyValue
                    var (key, v) = KeyValue(value.Bytes);
                    attributes[key] = v;
                    break;
                case 15: // Span.status: Status.code = 3
                    foreach (var (sf, sv) in Fields(value.Bytes))
                    {
                        if (sf == 3)
                        {
                            status = (int)sv.Varint;
                        }
                    }

                    break;
            }
        }

        return new OtlpSpan(traceId, spanId, parent, name, kind, attributes, status, service);
    }

    private static Dictionary<string, object> AttributesOf(byte[] message, int field)
    {
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (f, value) in Fields(message))
        {
            if (f == field)
            {
                var (key, v) = KeyValue(value.Bytes);
                attributes[key] = v;
            }
        }

        return attributes;
    }

    // KeyValue { string key = 1; AnyValue value = 2 }.
    private static (string Key, object Value) KeyValue(byte[] bytes)
    {
        string key = "";
        object value = "";
        foreach (var (f, v) in Fields(bytes))
        {
            if (f == 1)
            {
                key = Encoding.UTF8.GetString(v.Bytes);
            }
            else if (f == 2)
            {
                value = AnyValue(v.Bytes);
            }
        }

        return (key, value);
    }

    // AnyValue { string 1; bool 2; int64 3; double 4; ArrayValue 5 { repeated AnyValue values = 1 } }.
    private static object AnyValue(byte[] bytes)
    {
        object value = "";
        foreach (var (f, v) in Fields(bytes))
        {
            value = f switch
            {
                1 => Encoding.UTF8.GetString(v.Bytes),
                2 => v.Varint != 0,
                3 => (long)v.Varint,
                4 => BitConverter.Int64BitsToDouble((long)v.Varint),
                5 => Fields(v.Bytes).Where(x => x.Field == 1).Select(x => AnyValue(x.Value.Bytes)).ToArray(),
                _ => value,
            };
        }

        return value;
    }

    private readonly record struct WireValue(ulong Varint, byte[] Bytes);

    // The fields of one message: varints (wire type 0), fixed64 (1, as its bits in Varint), length-delimited (2) and
    // fixed32 (5); groups are not used by OTLP.
    private static IEnumerable<(int Field, WireValue Value)> Fields(byte[] message)
    {
        int at = 0;
        while (at < message.Length)
        {
            ulong tag = ReadVarint(message, ref at);
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    yield return (field, new WireValue(ReadVarint(message, ref at), []));
                    break;
                case 1:
                    yield return (field, new WireValue(BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at, 8)), []));
                    at += 8;
                    break;
                case 2:
                    int length = (int)ReadVarint(message, ref at);
                    yield return (field, new WireValue(0, message.AsSpan(at, length).ToArray()));
                    at += length;
                    break;
                case 5:
                    yield return (field, new WireValue(BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at, 4)), []));
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {tag & 7} at byte {at}: not OTLP protobuf");
            }
        }
    }

    private static ulong ReadVarint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
