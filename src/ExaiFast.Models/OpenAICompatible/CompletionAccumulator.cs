using System.Text;
using System.Text.Json;

namespace ExaiFast.Models.OpenAICompatible;

/// <summary>
/// Reads chat-completions JSON — each streamed chunk (<c>choices[0].delta</c>) or a whole response
/// (<c>choices[0].message</c>) — into the answer, the reasoning (kept apart), finish_reason and usage.
/// </summary>
/// <remarks>One per provider call; not thread-safe. Unknown fields are skipped, so servers that add their own pass.</remarks>
internal sealed class CompletionAccumulator
{
    private readonly StringBuilder _text = new();
    private StringBuilder? _reasoning;

    public string? FinishReason { get; private set; }

    public TokenUsage? Usage { get; private set; }

    public string? Model { get; private set; }

    /// <summary>The server put an <c>error</c> object in the body or stream.</summary>
    public bool ReportedError { get; private set; }

    /// <summary>Pieces of answer text seen so far (streamed chunks that carried content).</summary>
    public int ContentChunks { get; private set; }

    public string Text => _text.ToString();

    public string? Reasoning => _reasoning?.ToString();

    /// <summary>Adds one JSON object; returns the answer text it carried (null for none). Throws <see cref="JsonException"/> on bad JSON.</summary>
    public string? Add(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a completion is not a JSON object");
        }

        string? piece = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                piece = ReadChoices(ref reader);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                ReadUsage(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    Model ??= reader.GetString();
                }
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                ReportedError |= reader.TokenType != JsonTokenType.Null;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new JsonException("trailing data after a completion");
        }

        if (piece is { Length: > 0 })
        {
            _text.Append(piece);
            ContentChunks++;
        }

        return piece;
    }

    // Only the first choice: n = 1 is what we ask for.
    private string? ReadChoices(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }

        string? piece = null;
        bool first = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!first || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            first = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    piece = ReadMessage(ref reader);
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        FinishReason = reader.GetString();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    // Moonshot's stream reports usage inside the last chunk's choice, not beside the choices.
                    reader.Read();
                    ReadUsage(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }

        return piece;
    }

    private string? ReadMessage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        string? content = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                content = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader);
            }
            else if (reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8))
            {
                // Kimi and GLM say reasoning_content, Ollama and vLLM reasoning: either way it is not the answer.
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    (_reasoning ??= new StringBuilder()).Append(reader.GetString());
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return content;
    }

    private void ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        long prompt = 0, completion = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
            bool isCompletion = reader.ValueTextEquals("completion_tokens"u8);
            reader.Read();
            if (isPrompt && reader.TokenType == JsonTokenType.Number)
            {
                prompt = reader.GetInt64();
            }
            else if (isCompletion && reader.TokenType == JsonTokenType.Number)
            {
                completion = reader.GetInt64();
            }
            else
            {
                reader.Skip();
            }
        }

        Usage = new TokenUsage(prompt, completion);
    }

    private static string? Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }
}
