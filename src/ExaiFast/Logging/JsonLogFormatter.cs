using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using ZLogger;

namespace ExaiFast.Logging;

/// <summary>
/// <c>--log-format json</c>: one object per line with ZLogger's field names (Timestamp, LogLevel, Category, Message,
/// Exception), then each parameter of the message in snake_case (<c>request_id</c>, <c>session_id</c>, <c>tool</c>,
/// <c>lane</c>, <c>outcome</c>, …), written straight to a <see cref="Utf8JsonWriter"/>.
/// </summary>
/// <remarks>
/// Not ZLogger's SystemTextJsonZLoggerFormatter: it serialises every parameter through reflection-based
/// JsonSerializer (its AOT warnings suppressed), which the native binary does not have, so every line failed there.
/// Parameters here are written as JSON numbers, booleans and strings, and anything else as its invariant text.
/// Used by the one writer loop of <see cref="BoundedLogProcessor"/>: not thread-safe.
/// </remarks>
internal sealed class JsonLogFormatter : IZLoggerFormatter
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    private readonly ArrayBufferWriter<byte> _message = new(256);
    private readonly Dictionary<string, string> _fieldNames = new(StringComparer.Ordinal);
    private Utf8JsonWriter? _json;

    public bool WithLineBreak => true;

    public void FormatLogEntry(IBufferWriter<byte> writer, IZLoggerEntry entry)
    {
        var json = _json ??= new Utf8JsonWriter(writer, s_options);
        json.Reset(writer);
        var info = entry.LogInfo;
        json.WriteStartObject();
        json.WriteString("Timestamp", info.Timestamp.Utc);
        json.WriteString("LogLevel", info.LogLevel.ToString());
        json.WriteString("Category", info.Category.JsonEncoded);
        _message.ResetWrittenCount();
        entry.ToString(_message);
        json.WriteString("Message", _message.WrittenSpan);
        if (info.Exception is { } exception)
        {
            json.WritePropertyName("Exception");
            WriteException(json, exception);
        }

        for (int i = 0; i < entry.ParameterCount; i++)
        {
            string key = entry.GetParameterKeyAsString(i).ToString();
            if (key == "{OriginalFormat}")
            {
                continue;
            }

            json.WritePropertyName(FieldName(key));
            WriteValue(json, entry.GetParameterValue(i));
        }

        json.WriteEndObject();
        json.Flush();
    }

    // A message's parameters become fields in snake_case (RequestId → request_id), as log pipelines (Loki, Elastic,
    // Datadog) name them; the few names there are are converted once.
    private string FieldName(string parameter)
    {
        if (!_fieldNames.TryGetValue(parameter, out string? field))
        {
            var name = new System.Text.StringBuilder(parameter.Length + 4);
            for (int i = 0; i < parameter.Length; i++)
            {
                char c = parameter[i];
                if (char.IsUpper(c))
                {
                    if (i > 0 && (char.IsLower(parameter[i - 1]) || (i + 1 < parameter.Length && char.IsLower(parameter[i + 1]) && char.IsUpper(parameter[i - 1]))))
                    {
                        name.Append('_');
                    }

                    name.Append(char.ToLowerInvariant(c));
                }
                else
                {
                    name.Append(c);
                }
            }

            field = name.ToString();
            if (_fieldNames.Count < 1024)
            {
                _fieldNames[parameter] = field;
            }
        }

        return field;
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case string s: json.WriteStringValue(s); break;
            case bool b: json.WriteBooleanValue(b); break;
            case int n: json.WriteNumberValue(n); break;
            case long n: json.WriteNumberValue(n); break;
            case uint n: json.WriteNumberValue(n); break;
            case ulong n: json.WriteNumberValue(n); break;
            case short n: json.WriteNumberValue(n); break;
            case ushort n: json.WriteNumberValue(n); break;
            case byte n: json.WriteNumberValue(n); break;
            case sbyte n: json.WriteNumberValue(n); break;
            case decimal n: json.WriteNumberValue(n); break;
            case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): json.WriteNumberValue(f); break;
            case DateTimeOffset t: json.WriteStringValue(t); break;
            case DateTime t: json.WriteStringValue(t); break;
            case Guid g: json.WriteStringValue(g); break;
            case TimeSpan t: json.WriteStringValue(t.ToString("c", CultureInfo.InvariantCulture)); break;
            case IFormattable f: json.WriteStringValue(f.ToString(null, CultureInfo.InvariantCulture)); break;
            default: json.WriteStringValue(value.ToString()); break;
        }
    }

    private static void WriteException(Utf8JsonWriter json, Exception exception)
    {
        json.WriteStartObject();
        json.WriteString("Name", exception.GetType().FullName);
        json.WriteString("Message", exception.Message);
        json.WriteString("StackTrace", exception.StackTrace);
        if (exception.InnerException is { } inner)
        {
            json.WritePropertyName("InnerException");
            WriteException(json, inner);
        }

        json.WriteEndObject();
    }
}
