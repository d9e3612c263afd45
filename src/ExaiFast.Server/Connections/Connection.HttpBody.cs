using System.Buffers;
using System.Runtime.CompilerServices;
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
        NoBudget,
    }

    /// <summary>
    /// Reads a whole request body: into pooled buffers grown from what arrives while it is small, and past
    /// <see cref="InboundBudget.SmallMessageBytes"/> into an array of exactly the inbound budget it holds (issue 14).
    /// A Content-Length body over that size has reserved its length before this (<see cref="ReserveBodyBudgetAsync"/>);
    /// a chunked one reserves in doubling steps as it grows, never reading more than its reservation holds.
    /// </summary>
    // Once per request; a body that is all here already completes without allocating a Task for its tuple.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(BodyOutcome Outcome, PooledBuffer Body)> ReadBodyAsync(HttpBodyFraming framing, long maxBody)
    {
        var body = new BodyBuffer();
        if (_reserved > 0)
        {
            body.Own(_reserved);
        }

        _chunked = default;
        _bodyError = null;
        Volatile.Write(ref _bodyBytes, 0);
        Volatile.Write(ref _bodyTimedOut, 0);
        EnterPhase(ConnectionPhase.HttpBody);
        long remaining = framing.Length;
        long seen = 0; // unconsumed bytes already counted

        // A chunk-size line (or the trailers) must fit in what one decode may read, or the decoder could never finish it.
        long minRoom = Math.Max(64 * 1024, 2L * _ctx.Options.MaxRequestHeadBytes + 8);
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
                        body.Write(segment.Span);
                    }

                    remaining -= take;
                    _input.AdvanceTo(buffer.GetPosition(take));
                    _ctx.Metrics.BytesReceived.Inc(take);
                    seen = buffer.Length - take;
                    if (remaining == 0)
                    {
                        return (outcome = BodyOutcome.Complete, body.Detach(_ctx.InboundBudget));
                    }
                }
                else
                {
                    if (body.Room < minRoom && _reserved < maxBody && body.Room < buffer.Length)
                    {
                        // Growing past its room: more budget first (doubling, as a fragmented WebSocket message), with
                        // the rest of the body unread meanwhile.
                        long target = Math.Min(Math.Max(2 * Math.Max(_reserved, InboundBudget.SmallMessageBytes), body.Written + minRoom), maxBody);
                        _budgetNeeded = target - _reserved;
                        if (await ReserveBudgetAsync().ConfigureAwait(false) is not null)
                        {
                            _input.AdvanceTo(buffer.Start);
                            return (outcome = Volatile.Read(ref _aborted) != 0 ? BodyOutcome.Ended : BodyOutcome.NoBudget, default);
                        }

                        body.Own(_reserved);
                        EnterPhase(ConnectionPhase.HttpBody); // the body's deadlines run from the grant: the wait was ours
                        Volatile.Write(ref _bodyBytes, 0);
                    }

                    // Never more input than the room holds (decoded bytes are never more than their input), except at
                    // the body limit, which the decoder enforces itself.
                    bool sliced = _reserved < maxBody && buffer.Length > body.Room;
                    var input = sliced ? buffer.Slice(0, body.Room) : buffer;
                    var status = _chunked.Decode(input, body, maxBody, _ctx.Options.MaxRequestHeadBytes, out var consumed, out _bodyError);
                    long used = buffer.Slice(0, consumed).Length;
                    _ctx.Metrics.BytesReceived.Inc(used);
                    switch (status)
                    {
                        case HttpChunkedStatus.Done:
                            _input.AdvanceTo(consumed);
                            return (outcome = BodyOutcome.Complete, body.Detach(_ctx.InboundBudget));
                        case HttpChunkedStatus.TooLarge:
                            _input.AdvanceTo(consumed);
                            return (outcome = BodyOutcome.TooLarge, default);
                        case HttpChunkedStatus.BadRequest:
                            _input.AdvanceTo(consumed);
                            return (outcome = BodyOutcome.Malformed, default);
                    }

                    // Sliced: the bytes past the slice are here, unexamined, so the next read returns at once.
                    _input.AdvanceTo(consumed, sliced ? consumed : buffer.End);
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
                body.Discard();
            }

            // A completed big body's reservation travels with its array (released with it); anything else comes back.
            long kept = outcome == BodyOutcome.Complete && _reserved > 0 ? _reserved : 0;
            _ctx.InboundBudget.Release(_reserved - kept);
            _reserved = 0;
            Volatile.Write(ref _budgetHeldSince, 0);
        }
    }

    /// <summary>
    /// Reserves a big Content-Length body's length before a byte of it is read (and before <c>100 Continue</c>), waiting
    /// while it does not fit: the client is held back by TCP (or by the missing 100). False when the wait ended without
    /// the budget — past <see cref="ServerContext.InboundBudgetTicks"/> (503 with Retry-After sent), at shutdown (503),
    /// or because the connection was aborted (nothing sent).
    /// </summary>
    private async ValueTask<bool> ReserveBodyBudgetAsync(long length, string route)
    {
        _budgetNeeded = length;
        EnterPhase(ConnectionPhase.HttpBody); // the heartbeat applies only the budget's deadline while it waits
        if (await ReserveBudgetAsync().ConfigureAwait(false) is null)
        {
            return true;
        }

        await RespondNoBudgetAsync(route).ConfigureAwait(false);
        return false;
    }

    private async ValueTask RespondNoBudgetAsync(string route)
    {
        if (Volatile.Read(ref _aborted) != 0)
        {
            return;
        }

        string reason = Volatile.Read(ref _shutdownRequested) != 0 ? "server is shutting down"
            : "server busy: no memory budget for this request body in time; retry later";
        await RespondErrorAsync(route, 503, reason, "Retry-After: 1\r\n").ConfigureAwait(false);
    }
}
