using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Models.OpenAICompatible;

public sealed partial class OpenAICompatibleProvider
{
    private const byte ByteLF = (byte)'\n';
    private const byte ByteCR = (byte)'\r';

    // A server-sent event line longer than this is not a chat-completion chunk (and must not grow our buffer forever).
    private const int MaxLineBytes = 4 * 1024 * 1024;

    // Reads the answer: server-sent events when the server streams, else one JSON body. totalStarted is the timestamp
    // the total deadline counts from, or 0 when the total is not ours.
    private async ValueTask ReadAnswerAsync(HttpResponseMessage response, CompletionAccumulator answer, Action<string>? onToken, CancellationTokenSource timer, long totalStarted)
    {
        var stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
        bool sse = response.Content.Headers.ContentType?.MediaType is "text/event-stream";
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        try
        {
            if (sse)
            {
                await ReadEventsAsync(reader, answer, onToken, timer, totalStarted).ConfigureAwait(false);
            }
            else
            {
                await ReadBodyAsync(reader, answer, onToken, timer, totalStarted).ConfigureAwait(false);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        if (answer.ReportedError)
        {
            throw new JsonException("the server reported an error");
        }
    }

    private async ValueTask ReadEventsAsync(PipeReader reader, CompletionAccumulator answer, Action<string>? onToken, CancellationTokenSource timer, long totalStarted)
    {
        while (true)
        {
            ArmIdle(timer, totalStarted);
            var result = await reader.ReadAsync(timer.Token).ConfigureAwait(false);
            var buffer = result.Buffer;
            bool done = false;
            while (!done && TryReadLine(ref buffer, out var line))
            {
                done = OnLine(line, answer, onToken);
            }

            if (done)
            {
                reader.AdvanceTo(buffer.Start);
                return;
            }

            if (buffer.Length > MaxLineBytes)
            {
                throw new JsonException("an event line is too long");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                // A stream that ends without [DONE] was cut: what came so far is not the whole answer.
                throw new StreamCutException();
            }
        }
    }

    private async ValueTask ReadBodyAsync(PipeReader reader, CompletionAccumulator answer, Action<string>? onToken, CancellationTokenSource timer, long totalStarted)
    {
        while (true)
        {
            ArmIdle(timer, totalStarted);
            var result = await reader.ReadAsync(timer.Token).ConfigureAwait(false);
            if (result.Buffer.Length > 16 * 1024 * 1024)
            {
                throw new JsonException("the response body is too large");
            }

            if (!result.IsCompleted)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                continue;
            }

            var body = result.Buffer;
            string? text = body.IsSingleSegment ? answer.Add(body.FirstSpan) : answer.Add(body.ToArray());
            reader.AdvanceTo(body.End);
            if (string.IsNullOrEmpty(answer.FinishReason) && text is null && !answer.ReportedError)
            {
                throw new JsonException("no choices in the response");
            }

            if (onToken is not null && answer.Text.Length > 0)
            {
                onToken(answer.Text);
            }

            return;
        }
    }

    // One timer for both deadlines: the next silence may last the idle deadline, but never past the total.
    private void ArmIdle(CancellationTokenSource timer, long totalStarted)
    {
        var wait = _options.Timeouts.Idle;
        if (totalStarted != 0)
        {
            var remaining = _options.Timeouts.Total - _time.GetElapsedTime(totalStarted);
            if (remaining < wait)
            {
                wait = remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1);
            }
        }

        timer.CancelAfter(wait);
    }

    /// <summary>Handles one SSE line; true at <c>[DONE]</c>.</summary>
    private static bool OnLine(ReadOnlySequence<byte> sequence, CompletionAccumulator answer, Action<string>? onToken)
    {
        byte[]? rented = null;
        ReadOnlySpan<byte> line;
        if (sequence.IsSingleSegment)
        {
            line = sequence.FirstSpan;
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent((int)sequence.Length);
            sequence.CopyTo(rented);
            line = rented.AsSpan(0, (int)sequence.Length);
        }

        try
        {
            if (line.Length > 0 && line[^1] == ByteCR)
            {
                line = line[..^1];
            }

            // Blank lines end events, ':' lines are comments (keep-alives); event:, id: and retry: carry nothing for us.
            if (!line.StartsWith("data:"u8))
            {
                return false;
            }

            line = line[5..];
            if (line.Length > 0 && line[0] == (byte)' ')
            {
                line = line[1..];
            }

            if (line.SequenceEqual("[DONE]"u8))
            {
                return true;
            }

            string? piece = answer.Add(line);
            if (piece is { Length: > 0 } && onToken is not null)
            {
                onToken(piece);
            }

            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var position = buffer.PositionOf(ByteLF);
        if (position is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, position.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        return true;
    }
}
