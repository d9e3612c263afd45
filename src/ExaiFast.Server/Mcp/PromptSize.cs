using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// <c>MCP_PROMPT_SIZE_LIMIT</c>, as PAL checks it: the text a client's model writes into a call — a tool's
/// <c>prompt</c>, a workflow's <c>step</c> — crosses MCP in the model's own output, which its client bounds; a longer one
/// is answered, before any model request, with a result (not an error) asking the model to save it to a file and pass
/// the path instead, where the daemon reads it whole.
/// </summary>
/// <remarks>Only MCP calls are checked: exai-ws callers are programs, not a model's bounded output.</remarks>
internal static class PromptSize
{
    /// <summary>The status of the answer, as PAL's (<c>structuredContent.status</c> carries it).</summary>
    public const string Status = "resend_prompt";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The answer to a call whose <c>prompt</c> or <c>step</c> is over <paramref name="limit"/> characters; null
    /// when none is (or <paramref name="limit"/> is 0: no limit).</summary>
    public static CallResult? Refusal(JsonElement arguments, int limit)
    {
        if (limit <= 0)
        {
            return null;
        }

        return Check(arguments, "prompt", "files", limit) ?? Check(arguments, "step", "relevant_files", limit);
    }

    private static CallResult? Check(JsonElement arguments, string field, string files, int limit)
    {
        // Cheap first: the raw JSON is at least as long as the text it holds, so a short one needs no count.
        if (arguments.TryGetProperty(field, out var text) && text.ValueKind == JsonValueKind.String
            && System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(text).Length - 2 > limit
            && JsonStrings.Utf16Length(text) is long length && length > limit)
        {
            return new CallResult { Text = Answer(field, files, length, limit) };
        }

        return null;
    }

    private static string Answer(string field, string files, long length, int limit)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(output, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("status", Status);
            json.WriteString("content", string.Create(CultureInfo.InvariantCulture,
                $"The {field} is too large to pass through MCP ({length:N0} characters; the limit is {limit:N0}, MCP_PROMPT_SIZE_LIMIT). " +
                $"No model was asked. Save the {field} text, as it is, to a file (for example prompt.txt in the working directory), " +
                $"then call this tool again with the file's absolute path in {files} and a short {field} that says to follow the instructions in that file."));
            json.WriteString("content_type", "text");
            json.WriteStartObject("metadata");
            json.WriteString("field", field);
            json.WriteNumber("prompt_size", length);
            json.WriteNumber("limit", limit);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
