using System.Buffers.Text;
using System.Text.Json;

namespace ExaiFast.Load;

/// <summary>
/// Reads an exai-ws frame from the daemon: is it the answer (the op that ends a request — <c>call_tool_res</c> or
/// <c>pong</c>, or an <c>error</c> naming a request), which request, and did it succeed or was it refused.
/// </summary>
internal static class ExaiReply
{
    /// <summary>
    /// False for frames that answer nothing (<c>call_tool_ack</c>, <c>progress</c>, …). Request ids are the runner's
    /// numbers; an answer whose id is not a number has sequence -1.
    /// </summary>
    /// <remarks>A frame that is not a JSON object is a failed answer to no request: a closed loop waiting on it must not hang.</remarks>
    public static bool TryRead(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> answerOp, out Reply reply)
    {
        try
        {
            return TryReadJson(frame, answerOp, out reply);
        }
        catch (JsonException)
        {
            reply = new Reply(-1, ReplyKind.Failed);
            return true;
        }
    }

    private static bool TryReadJson(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> answerOp, out Reply reply)
    {
        var reader = new Utf8JsonReader(frame);
        bool isAnswer = false, isError = false, ok = false, refused = false;
        long sequence = -1;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            reply = new Reply(-1, ReplyKind.Failed);
            return true;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("op"u8))
            {
                reader.Read();
                isAnswer = reader.ValueTextEquals(answerOp);
                isError = reader.ValueTextEquals("error"u8);
            }
            else if (reader.ValueTextEquals("request_id"u8))
            {
                reader.Read();
                if (!reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out long n, out int used) && used == reader.ValueSpan.Length)
                {
                    sequence = n;
                }
            }
            else if (reader.ValueTextEquals("ok"u8))
            {
                reader.Read();
                ok = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                refused = reader.TokenType == JsonTokenType.StartObject && HasCode(ref reader, "OVER_CAPACITY"u8);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (!isAnswer && !(isError && sequence >= 0))
        {
            reply = default;
            return false;
        }

        // pong has no "ok": it is an answer by being one.
        bool succeeded = isAnswer && (ok || answerOp.SequenceEqual("pong"u8));
        reply = new Reply(sequence, succeeded ? ReplyKind.Ok : refused ? ReplyKind.Refused : ReplyKind.Failed);
        return true;
    }

    // Positioned on the error object's StartObject; leaves the reader on its EndObject.
    private static bool HasCode(ref Utf8JsonReader reader, ReadOnlySpan<byte> code)
    {
        bool found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isCode = reader.ValueTextEquals("code"u8);
            reader.Read();
            if (isCode)
            {
                found = reader.ValueTextEquals(code);
            }
            else
            {
                reader.Skip();
            }
        }

        return found;
    }
}
