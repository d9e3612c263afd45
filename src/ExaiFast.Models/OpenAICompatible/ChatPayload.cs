using System.Buffers;
using System.Text.Json;

namespace ExaiFast.Models.OpenAICompatible;

/// <summary>Writes the <c>POST /chat/completions</c> body.</summary>
internal static class ChatPayload
{
    /// <summary>Writes the request for <paramref name="model"/>; always streamed upstream (see the remarks).</summary>
    /// <remarks>
    /// Upstream is always asked to stream, whether or not our client streams: a non-streamed answer sends its headers
    /// only when the whole answer is done, so neither the time-to-headers deadline nor the idle deadline could tell a
    /// slow model from a hung one. <c>stream_options.include_usage</c> makes OpenAI-style servers report usage.
    /// </remarks>
    /// <param name="buffer">Where the JSON goes (empty before).</param>
    /// <param name="dialect">The server's dialect.</param>
    /// <param name="model">The model asked.</param>
    /// <param name="request">The request.</param>
    /// <param name="splices">Given: a prompt read in place is not copied into <paramref name="buffer"/>; its place (a
    /// <see cref="ChatRequestContent.Placeholder"/>) is added here instead, for <see cref="ChatRequestContent"/>.</param>
    public static void Write(IBufferWriter<byte> buffer, ProviderDialect dialect, ModelSpec model, ModelRequest request, List<(int At, MessageText Text)>? splices = null)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("model"u8, model.Name);
        json.WriteStartArray("messages"u8);
        // Images go to vision models, and to models we know nothing of (OPENAI_COMPATIBLE_MODELS: llava may well take them);
        // a model known not to take images never gets here (chat refuses the call).
        bool images = model.Can(ModelCapabilities.Vision) || model.Capabilities == ModelCapabilities.None;
        foreach (var message in request.Messages)
        {
            json.WriteStartObject();
            json.WriteString("role"u8, message.Role switch { ChatRole.System => "system", ChatRole.Assistant => "assistant", _ => "user" });
            if (images && message.ImageUrls is { Count: > 0 } urls)
            {
                json.WriteStartArray("content"u8);
                json.WriteStartObject();
                json.WriteString("type"u8, "text"u8);
                json.WritePropertyName("text"u8);
                WriteText(json, message.Text, splices);
                json.WriteEndObject();
                foreach (string url in urls)
                {
                    json.WriteStartObject();
                    json.WriteString("type"u8, "image_url"u8);
                    json.WriteStartObject("image_url"u8);
                    json.WriteString("url"u8, url);
                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }
            else
            {
                json.WritePropertyName("content"u8);
                WriteText(json, message.Text, splices);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("temperature"u8, request.Temperature);
        if (MaxTokens(model, request) is int max)
        {
            json.WriteNumber("max_tokens"u8, max);
        }

        json.WriteBoolean("stream"u8, true);
        json.WriteStartObject("stream_options"u8);
        json.WriteBoolean("include_usage"u8, true);
        json.WriteEndObject();
        if (dialect == ProviderDialect.Glm)
        {
            if (request.ThinkingMode is not null && model.Can(ModelCapabilities.Thinking))
            {
                json.WriteStartObject("thinking"u8);
                json.WriteString("type"u8, "enabled"u8);
                json.WriteEndObject();
            }

            if (request.UseWebSearch && model.Can(ModelCapabilities.WebSearch))
            {
                // GLM's provider tool: the server searches and answers in one request (no tool-call round trip).
                json.WriteStartArray("tools"u8);
                json.WriteStartObject();
                json.WriteString("type"u8, "web_search"u8);
                json.WriteStartObject("web_search"u8);
                json.WriteBoolean("enable"u8, true);
                json.WriteBoolean("search_result"u8, true);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndArray();
            }
        }

        json.WriteEndObject();
    }

    private static void WriteText(Utf8JsonWriter json, MessageText text, List<(int At, MessageText Text)>? splices)
    {
        if (splices is null || !text.IsInPlace)
        {
            text.WriteValue(json);
            return;
        }

        json.Flush(); // so that BytesCommitted is where the value begins
        splices.Add(((int)json.BytesCommitted, text));
        json.WriteRawValue(ChatRequestContent.Placeholder, skipInputValidation: true);
    }

    /// <summary>
    /// About the size of the JSON <see cref="Write"/> writes with splices (an in-place prompt is not in it), so that its
    /// buffer is allocated once rather than doubled up to a long text's size (each doubling a copy of it).
    /// </summary>
    public static int SizeHint(ModelRequest request)
    {
        long size = 1024;
        foreach (var message in request.Messages)
        {
            size += 64 + (message.Text.IsInPlace ? 0 : message.Text.SizeHint) + (message.ImageUrls?.Sum(url => (long)url.Length + 64) ?? 0);
        }

        return (int)Math.Min(size, Array.MaxLength);
    }

    /// <summary>
    /// The <c>max_tokens</c> to send: the request's limit or the model's (the smaller, when both are set), cut to what the
    /// prompt leaves of the model's context window — servers refuse a request whose prompt and max_tokens exceed it. Null
    /// when neither sets a limit (the server's default applies), or when the prompt alone may fill the window (the server
    /// then says so, rather than us sending a number that cannot fit).
    /// </summary>
    internal static int? MaxTokens(ModelSpec model, ModelRequest request)
    {
        int limit = model.MaxOutputTokens;
        if (request.MaxOutputTokens is int asked && asked > 0)
        {
            limit = limit > 0 ? Math.Min(limit, asked) : asked;
        }

        if (limit <= 0)
        {
            return null;
        }

        if (model.ContextWindow > 0)
        {
            long room = model.ContextWindow - PromptTokenBound(request);
            if (room < 1)
            {
                return null;
            }

            limit = (int)Math.Min(limit, room);
        }

        return limit;
    }

    // A bound on the prompt's tokens without a tokenizer: about one token per character at most (English runs near four
    // characters a token, Chinese one and a half), a little per message for the roles, and a generous allowance per
    // image. Too high only shortens the answer's allowance; too low would get the request refused.
    private static long PromptTokenBound(ModelRequest request)
    {
        const int PerMessage = 8;
        const int PerImage = 1_024;
        long bound = 0;
        foreach (var message in request.Messages)
        {
            bound += message.Text.Length + PerMessage + (message.ImageUrls?.Count ?? 0) * PerImage;
        }

        return bound;
    }
}
