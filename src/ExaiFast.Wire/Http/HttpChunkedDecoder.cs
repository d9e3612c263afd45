using System.Buffers;

namespace ExaiFast.Wire.Http;

/// <summary>Incremental decoder of the chunked transfer coding (RFC 9112 §7.1), fed whatever has arrived.</summary>
/// <remarks>
/// <code>
/// chunked-body = *chunk last-chunk trailer-section CRLF
/// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// last-chunk   = 1*("0") [ chunk-ext ] CRLF
/// chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] )
/// </code>
/// Strict: lines end with CRLF (a bare LF or CR is 400, as a proxy might split there), extensions are parsed and
/// ignored, trailer fields are checked for shape and dropped. The limit applies to the declared chunk sizes, so a chunk
/// that would pass it is refused before its data arrives. A mutable struct: keep it in a field, never copy it.
/// </remarks>
public struct HttpChunkedDecoder
{
    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';

    private State _state;
    private long _chunkRemaining;
    private long _total;
    private int _trailerBytes;

    private enum State : byte
    {
        Size,
        Data,
        DataEnd,
        Trailer,
        Done,
    }

    /// <summary>Body bytes decoded so far.</summary>
    public readonly long BodyLength => _total;

    /// <summary>Decodes what <paramref name="buffer"/> holds, appending body bytes to <paramref name="output"/>.</summary>
    /// <param name="buffer">Unconsumed input, starting where the previous call's <paramref name="consumed"/> ended.</param>
    /// <param name="output">Receives the chunk data.</param>
    /// <param name="maxBodyBytes">Largest body allowed.</param>
    /// <param name="maxLineBytes">Longest chunk-size line, and largest trailer section.</param>
    /// <param name="consumed">How far the input was used.</param>
    /// <param name="error">A short reason when <see cref="HttpChunkedStatus.BadRequest"/>.</param>
    public HttpChunkedStatus Decode(in ReadOnlySequence<byte> buffer, IBufferWriter<byte> output, long maxBodyBytes, int maxLineBytes, out SequencePosition consumed, out string? error)
    {
        ArgumentNullException.ThrowIfNull(output);
        error = null;
        var reader = new SequenceReader<byte>(buffer);
        try
        {
            while (true)
            {
                switch (_state)
                {
                    case State.Size:
                    {
                        if (!TryReadLine(ref reader, maxLineBytes, out var line, out error))
                        {
                            return error is null ? HttpChunkedStatus.NeedMoreData : HttpChunkedStatus.BadRequest;
                        }

                        if (!TryParseSizeLine(line, out long size))
                        {
                            error = "malformed chunk size line";
                            return HttpChunkedStatus.BadRequest;
                        }

                        if (size > maxBodyBytes - _total)
                        {
                            return HttpChunkedStatus.TooLarge;
                        }

                        _chunkRemaining = size;
                        _state = size == 0 ? State.Trailer : State.Data;
                        break;
                    }

                    case State.Data:
                    {
                        if (reader.End)
                        {
                            return HttpChunkedStatus.NeedMoreData;
                        }

                        long take = Math.Min(_chunkRemaining, reader.Remaining);
                        foreach (var segment in reader.UnreadSequence.Slice(0, take))
                        {
                            output.Write(segment.Span);
                        }

                        reader.Advance(take);
                        _chunkRemaining -= take;
                        _total += take;
                        if (_chunkRemaining == 0)
                        {
                            _state = State.DataEnd;
                        }

                        break;
                    }

                    case State.DataEnd:
                        if (reader.Remaining < 2)
                        {
                            if (reader.TryPeek(out byte first) && first != ByteCR)
                            {
                                error = "chunk data not followed by CRLF";
                                return HttpChunkedStatus.BadRequest;
                            }

                            return HttpChunkedStatus.NeedMoreData;
                        }

                        if (!reader.IsNext("\r\n"u8, advancePast: true))
                        {
                            error = "chunk data not followed by CRLF";
                            return HttpChunkedStatus.BadRequest;
                        }

                        _state = State.Size;
                        break;

                    case State.Trailer:
                    {
                        if (!TryReadLine(ref reader, maxLineBytes - _trailerBytes, out var line, out error))
                        {
                            if (error is not null)
                            {
                                error = "trailer section too large or malformed";
                            }

                            return error is null ? HttpChunkedStatus.NeedMoreData : HttpChunkedStatus.BadRequest;
                        }

                        if (line.IsEmpty)
                        {
                            _state = State.Done;
                            return HttpChunkedStatus.Done;
                        }

                        _trailerBytes += (int)line.Length + 2;
                        if (!IsFieldLine(line))
                        {
                            error = "malformed trailer field";
                            return HttpChunkedStatus.BadRequest;
                        }

                        break;
                    }

                    default:
                        return HttpChunkedStatus.Done;
                }
            }
        }
        finally
        {
            consumed = reader.Position;
        }
    }

    // A line ending in CRLF, without it. False with no error: not complete yet. A CR or LF inside, or a line longer than
    // maxBytes: error.
    private static bool TryReadLine(ref SequenceReader<byte> reader, int maxBytes, out ReadOnlySequence<byte> line, out string? error)
    {
        error = null;
        var start = reader;
        if (!reader.TryReadTo(out line, ByteLF, advancePastDelimiter: true))
        {
            if (reader.Remaining > maxBytes)
            {
                error = "chunk line too long";
            }
            else if (reader.UnreadSequence.PositionOf(ByteCR) is { } cr && !reader.UnreadSequence.Slice(cr).Slice(1).IsEmpty)
            {
                error = "bare CR in a chunk line"; // CR followed by anything but LF
            }

            return false;
        }

        if (line.Length > maxBytes || line.IsEmpty)
        {
            error = line.IsEmpty ? "bare LF in a chunk line" : "chunk line too long";
            reader = start;
            return false;
        }

        var lastCr = line.Slice(line.Length - 1);
        if (lastCr.FirstSpan[0] != ByteCR)
        {
            error = "bare LF in a chunk line";
            reader = start;
            return false;
        }

        line = line.Slice(0, line.Length - 1);
        if (line.PositionOf(ByteCR) is not null)
        {
            error = "bare CR in a chunk line";
            reader = start;
            return false;
        }

        return true;
    }

    private static bool TryParseSizeLine(in ReadOnlySequence<byte> sequence, out long size)
    {
        Span<byte> scratch = stackalloc byte[256];
        scoped ReadOnlySpan<byte> line;
        byte[]? rented = null;
        if (sequence.IsSingleSegment)
        {
            line = sequence.FirstSpan;
        }
        else if (sequence.Length <= scratch.Length)
        {
            sequence.CopyTo(scratch);
            line = scratch[..(int)sequence.Length];
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent((int)sequence.Length);
            sequence.CopyTo(rented);
            line = rented.AsSpan(0, (int)sequence.Length);
        }

        try
        {
            return TryParseSizeLine(line, out size);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>chunk-size [ chunk-ext ], without the CRLF.</summary>
    internal static bool TryParseSizeLine(ReadOnlySpan<byte> line, out long size)
    {
        size = 0;
        int i = 0;
        while (i < line.Length && HexValue(line[i]) >= 0)
        {
            if (i == 15)
            {
                return false; // 16 hex digits could overflow a long; no limit is that large
            }

            size = (size << 4) | (uint)HexValue(line[i]);
            i++;
        }

        return i > 0 && IsChunkExtensions(line[i..]);
    }

    // *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val = token / quoted-string
    private static bool IsChunkExtensions(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (true)
        {
            i = SkipWhitespace(s, i);
            if (i == s.Length)
            {
                return true;
            }

            if (s[i] != (byte)';')
            {
                return false;
            }

            i = SkipWhitespace(s, i + 1);
            int name = i;
            while (i < s.Length && IsTChar(s[i]))
            {
                i++;
            }

            if (i == name)
            {
                return false;
            }

            int afterName = i;
            i = SkipWhitespace(s, i);
            if (i == s.Length || s[i] != (byte)'=')
            {
                i = afterName;
                continue;
            }

            i = SkipWhitespace(s, i + 1);
            if (i < s.Length && s[i] == (byte)'"')
            {
                i++;
                while (true)
                {
                    if (i >= s.Length)
                    {
                        return false;
                    }

                    byte b = s[i];
                    if (b == (byte)'"')
                    {
                        i++;
                        break;
                    }

                    if (b == (byte)'\\')
                    {
                        if (i + 1 >= s.Length || !IsQuotedChar(s[i + 1]))
                        {
                            return false;
                        }

                        i += 2;
                        continue;
                    }

                    if (!IsQuotedChar(b))
                    {
                        return false;
                    }

                    i++;
                }
            }
            else
            {
                int value = i;
                while (i < s.Length && IsTChar(s[i]))
                {
                    i++;
                }

                if (i == value)
                {
                    return false;
                }
            }
        }
    }

    private static bool IsFieldLine(in ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(line);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> name, (byte)':'))
        {
            return false;
        }

        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var segment in name)
        {
            foreach (byte b in segment.Span)
            {
                if (!IsTChar(b))
                {
                    return false;
                }
            }
        }

        foreach (var segment in reader.UnreadSequence)
        {
            if (segment.Span.IndexOfAny((byte)0, ByteLF) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && (s[i] == (byte)' ' || s[i] == (byte)'\t'))
        {
            i++;
        }

        return i;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static bool IsTChar(byte b) =>
        (b >= (byte)'a' && b <= (byte)'z') || (b >= (byte)'A' && b <= (byte)'Z') || (b >= (byte)'0' && b <= (byte)'9')
        || "!#$%&'*+-.^_`|~"u8.Contains(b);

    // qdtext and quoted-pair's second byte: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.6.4)
    private static bool IsQuotedChar(byte b) => b == (byte)'\t' || (b >= 0x20 && b != 0x7F);
}
