using System.Buffers;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Connections;

internal sealed partial class Connection
{
    private HttpChunkedDecoder _chunked;
    private long _bodyBytes;     // body bytes received so far (read by the heartbeat for the rate rule)
    private int _bodyTimedOut;   // set by the heartbeat; the body loop answers 408
    private string? _bodyError;

    private enum BodyOutcome : byte
    {
        Complete,
        TooLarge,
        Malformed,
        TimedOut,
        Ended,
    }

    /// <summary>Reads a whole request body into a pooled buffer grown from what arrives, never from a declared length
    /// (a peer may declare 32 MiB and send nothing).</summary>
    private async Task<(BodyOutcome Outcome, PooledBuffer Body)> ReadBodyAsync(HttpBodyFraming framing, long maxBody)
    {
        var writer = new PooledBufferWriter();
        _chunked = default;
        _bodyError = null;
        Volatile.Write(ref _bodyBytes, 0);
        Volatile.Write(ref _bodyTimedOut, 0);
        EnterPhase(ConnectionPhase.HttpBody);
        long remaining = framing.Length;
        long seen = 0; // unconsumed bytes already counted
        var outcome = BodyOutcome.Ended;
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    _input.AdvanceTo(buffer.Start);
                    if (Volatile.Read(ref _bodyTimedOut) != 0)
                    {
                        return (outcome = BodyOutcome.TimedOut, default);
                    }

                    if (Volatile.Read(ref _aborted) != 0)
                    {
                        return (outcome = BodyOutcome.Ended, default);
                    }

                    seen = 0;
                    continue;
                }

                Volatile.Write(ref _bodyBytes, _bodyBytes + buffer.Length - seen);
                if (framing.Kind == HttpBodyKind.ContentLength)
                {
                    long take = Math.Min(remaining, buffer.Length);
                    foreach (var segment in buffer.Slice(0, take))
                    {
                        writer.Write(segment.Span);
                    }

                    remaining -= take;
                    _input.AdvanceTo(buffer.GetPosition(take));
                    _ctx.Metrics.BytesReceived.Inc(take);
                    seen = buffer.Length - take;
                    if (remaining == 0)
                    {
                        return (outcome = BodyOutcome.Complete, writer.Detach());
                    }
                }
                else
                {
                    var status = _chunked.Decode(buffer, writer, maxBody, _ctx.Options.MaxRequestHeadBytes, out var consumed, out _bodyError);
                    long used = buffer.Slice(0, consumed).Length;
                    _ctx.Metrics.BytesReceived.Inc(used);
                    switch (status)
                    {
                        case HttpChunkedStatus.Done:
                            _input.AdvanceTo(consumed);
                            return (outcome = BodyOutcome.Complete, writer.Detach());
                        case HttpChunkedStatus.TooLarge:
                            _input.AdvanceTo(consumed);
                            return (outcome = BodyOutcome.TooLarge, default);
                        case HttpChunkedStatus.BadRequest:
                            _input.AdvanceTo(consumed);
                            return (outcome = BodyOutcome.Malformed, default);
                    }

                    _input.AdvanceTo(consumed, buffer.End);
                    seen = buffer.Length - used;
                }

                if (result.IsCompleted)
                {
                    return (outcome = BodyOutcome.Ended, default);
                }
            }
        }
        finally
        {
            if (outcome != BodyOutcome.Complete)
            {
                writer.Detach().Return();
            }
        }
    }
}
