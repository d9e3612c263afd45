using System.Text.Json;

namespace ExaiFast.Load;

/// <summary>
/// Reads an MCP JSON-RPC message from a server: responses (an <c>id</c>, no <c>method</c>) answer a request;
/// a tool error whose text carries <c>OVER_CAPACITY</c> is a refusal, any other tool or protocol error a failure.
/// </summary>
internal static class McpReply
{
    private static ReadOnlySpan<byte> OverCapacity => "OVER_CAPACITY"u8;

    /// <summary>False for notifications and server requests (they have a method).</summary>
    /// <remarks>A message that is not a JSON object is a failed answer to no request: a closed loop waiting on it must not hang.</remarks>
    public static bool TryRead(ReadOnlySpan<byte> message, out Reply reply)
    {
        try
        {
            return TryReadJson(message, out reply);
        }
        catch (JsonException)
        {
            reply = new Reply(-1, ReplyKind.Failed);
            return true;
        }
    }

    private static bool TryReadJson(ReadOnlySpan<byte> message, out Reply reply)
    {
        var reader = new Utf8JsonReader(message);
        bool hasMethod = false, hasId = false, hasResult = false, isError = false;
        long sequence = -1;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            reply = new Reply(-1, ReplyKind.Failed);
            return true;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                hasId = true;
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long id))
                {
                    sequence = id;
                }
            }
            else if (reader.ValueTextEquals("method"u8))
            {
                reader.Read();
                hasMethod = true;
            }
            else if (reader.ValueTextEquals("result"u8))
            {
                reader.Read();
                hasResult = true;
                isError |= reader.TokenType == JsonTokenType.StartObject && ResultIsError(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                reader.Skip();
                isError = true;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (hasMethod || !hasId)
        {
            reply = default;
            return false;
        }

        ReplyKind kind = hasResult && !isError ? ReplyKind.Ok
            : isError && message.IndexOf(OverCapacity) >= 0 ? ReplyKind.Refused
            : ReplyKind.Failed;
        reply = new Reply(sequence, kind);
        return true;
    }

    // Positioned on the result's StartObject; leaves the reader on its EndObject.
    private static bool ResultIsError(ref Utf8JsonReader reader)
    {
        bool isError = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isFlag = reader.ValueTextEquals("isError"u8);
            reader.Read();
            if (isFlag)
            {
                isError = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                reader.Skip();
            }
        }

        return isError;
    }
}
