using System.Buffers;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ExaiFast.Models.OpenAICompatible;

/// <summary>
/// The body of <c>POST /chat/completions</c>: the JSON <see cref="ChatPayload"/> wrote, with each prompt read in place
/// sent from the bytes it arrived in rather than copied into the body first — a 30 MiB prompt costs the daemon its
/// message and nothing more on its way to the model.
/// </summary>
/// <remarks>
/// <para>The written JSON holds an empty string (<c>""</c>) where each such prompt goes (<see cref="Splice"/>); the
/// prompt's raw value is written there, a slice at a time, as the request is sent — again for each retry.</para>
/// <para>The prompt is read from the call's arguments, which live until the call ends: the provider must not return
/// before every send of this content has ended (<see cref="WhenSentAsync"/>) — HttpClient may still be sending a body
/// when a response (or a cancellation) has already ended the request.</para>
/// </remarks>
internal sealed class ChatRequestContent : HttpContent
{
    private const int SliceBytes = 64 * 1024;

    private readonly ReadOnlyMemory<byte> _json;
    private readonly Splice[] _splices;
    private readonly Lock _gate = new();
    private int _sending;
    private TaskCompletionSource? _sent;

    /// <param name="json">The body, with <c>""</c> at each splice.</param>
    /// <param name="splices">Where in-place prompts go, in order.</param>
    public ChatRequestContent(ReadOnlyMemory<byte> json, IReadOnlyList<(int At, MessageText Text)> splices)
    {
        _json = json;
        _splices = splices.Count == 0 ? [] : new Splice[splices.Count];
        for (int i = 0; i < splices.Count; i++)
        {
            _splices[i] = new Splice(splices[i].At, splices[i].Text);
        }
    }

    /// <summary>Completes when no send of this content is running (at once when none is).</summary>
    public Task WhenSentAsync()
    {
        lock (_gate)
        {
            return _sending == 0 ? Task.CompletedTask : (_sent ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc />
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _sending++;
        }

        byte[] slice = ArrayPool<byte>.Shared.Rent(SliceBytes);
        try
        {
            int from = 0;
            foreach (var splice in _splices)
            {
                await stream.WriteAsync(_json[from..splice.At], cancellationToken).ConfigureAwait(false);
                for (int offset = 0, n; (n = splice.CopyRaw(offset, slice)) > 0; offset += n)
                {
                    await stream.WriteAsync(slice.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                }

                if (splice.Tail is { } tail)
                {
                    await stream.WriteAsync(tail, cancellationToken).ConfigureAwait(false);
                }

                from = splice.At + Placeholder.Length;
            }

            await stream.WriteAsync(_json[from..], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(slice);
            lock (_gate)
            {
                if (--_sending == 0 && _sent is { } sent)
                {
                    _sent = null;
                    sent.TrySetResult();
                }
            }
        }
    }

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = _json.Length;
        foreach (var splice in _splices)
        {
            length += splice.Length - Placeholder.Length;
        }

        return true;
    }

    /// <summary>What <see cref="ChatPayload"/> writes where an in-place prompt goes.</summary>
    public static ReadOnlySpan<byte> Placeholder => "\"\""u8;

    // One in-place prompt: its raw value as sent, then (when text was appended to it) the appended text escaped, in
    // place of the raw value's closing quote.
    private sealed class Splice
    {
        private readonly JsonElement _value;
        private readonly int _rawLength;

        public Splice(int at, MessageText text)
        {
            At = at;
            _value = text.InPlaceValue;
            _rawLength = JsonMarshal.GetRawUtf8Value(_value).Length;
            if (text.Appended is { } appended)
            {
                var escaped = new ArrayBufferWriter<byte>(appended.Length + 16);
                using (var writer = new Utf8JsonWriter(escaped))
                {
                    new MessageText(appended).WriteValue(writer);
                }

                Tail = escaped.WrittenMemory[1..]; // without its opening quote: it continues the raw value
                _rawLength--; // whose closing quote it replaces
            }
        }

        public int At { get; }

        public ReadOnlyMemory<byte>? Tail { get; }

        public long Length => _rawLength + (Tail?.Length ?? 0);

        // The raw value's bytes from offset into destination; 0 at its end. Read afresh each time: a span of the call's
        // arguments cannot be held across the awaits of a send.
        public int CopyRaw(int offset, Span<byte> destination)
        {
            var raw = JsonMarshal.GetRawUtf8Value(_value)[..(_rawLength)][offset..];
            int n = Math.Min(raw.Length, destination.Length);
            raw[..n].CopyTo(destination);
            return n;
        }
    }
}
