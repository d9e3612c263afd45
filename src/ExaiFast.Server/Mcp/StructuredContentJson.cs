using System.Text.Json;
using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>A result's <c>structuredContent</c> (2025-06-18 on), as <see cref="ToolOutputSchema"/> describes it.</summary>
internal static class StructuredContentJson
{
    /// <remarks>With <paramref name="cut"/>, <c>truncated</c> and <c>omitted_characters</c> say the content was cut; the
    /// other fields are the whole answer's.</remarks>
    public static void Write(Utf8JsonWriter json, CallResult result, OutputCut? cut = null)
    {
        json.WriteStartObject("structuredContent"u8);
        if (result.Error is { } error)
        {
            json.WriteString("status"u8, "error");
            json.WriteString("error_code"u8, error.Code);
            json.WriteEndObject();
            return;
        }

        // A workflow step answers with a JSON object of its own (the original's shape, which clients already read): its
        // status and next_call are lifted out, so a program need not parse the text for them.
        JsonDocument? answer = TryParseObject(result.Text);
        try
        {
            if (answer is not null && answer.RootElement.TryGetProperty("status"u8, out var status) && status.ValueKind == JsonValueKind.String)
            {
                json.WritePropertyName("status"u8);
                status.WriteTo(json);
            }
            else
            {
                json.WriteString("status"u8, "ok");
            }

            if (result.ContinuationId is { } thread)
            {
                json.WriteString("continuation_id"u8, thread);
            }

            if (result.Model is { } model)
            {
                json.WriteString("model"u8, model);
            }

            if (result.Provider is { } provider)
            {
                json.WriteString("provider"u8, provider);
            }

            if (answer is not null && answer.RootElement.TryGetProperty("next_call"u8, out var next) && next.ValueKind == JsonValueKind.Object)
            {
                json.WritePropertyName("next_call"u8);
                next.WriteTo(json);
            }

            if (cut is not null)
            {
                json.WriteBoolean("truncated"u8, true);
                json.WriteNumber("omitted_characters"u8, cut.OmittedChars);
            }

            if (result.Usage is { } usage)
            {
                json.WriteStartObject("usage"u8);
                json.WriteNumber("input_tokens"u8, usage.InputTokens);
                json.WriteNumber("output_tokens"u8, usage.OutputTokens);
                json.WriteEndObject();
            }
        }
        finally
        {
            answer?.Dispose();
        }

        json.WriteEndObject();
    }

    private static JsonDocument? TryParseObject(string? text)
    {
        if (text is null || text.Length < 2 || text[0] != '{')
        {
            return null; // a model's prose: nothing to lift
        }

        try
        {
            var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
        }
        catch (JsonException)
        {
            // Prose that opens with a brace.
        }

        return null;
    }
}
