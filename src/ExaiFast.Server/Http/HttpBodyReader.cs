using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using ExaiFast.Server.Connections;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Http;

/// <summary>Reads one connection's request bodies (Content-Length or chunked) under the inbound budget, and holds the
/// body's deadlines: the whole body within its timeout, at a minimum rate after its grace, a budget wait within its own.</summary>
/// <remarks>The request loop reads; the heartbeat calls <see cref="OnHeartbeat"/> and shutdown or abort
/// <see cref="CancelBudgetWait"/> from other threads.</remarks>
internal sealed class HttpBodyReader(TransportConnection connection, ConnectionContext ctx)
{
    private readonly PipeReader _input = connection.Input;
    private readonly BudgetReservation _reservation = new(ctx.InboundBudget, ctx.Time, connection);
    private HttpChunkedDecoder _chunked;
    private long _bodyBytes;     // body bytes received so far (read by the heartbeat for the rate rule)
    private int _bodyTimedOut;   // set by the heartbeat; the body loop answers 408

    /// <summary>Why the last body was <see cref="BodyOutcome.Malformed"/>.</summary>
    public string? Error { get; private set; }

    /// <summary>
    /// Reserves a big Content-Length body's length before a byte of it is read (and before <c>100 Continue</c>), waiting
    /// while it does not fit: the client is held back by TCP (or by the missing 100). False when the wait ended without
    /// the budget — past <see cref="ConnectionContext.InboundBudgetTicks"/>, at shutdown, or because the connection was aborted.
    /// </summary>
    public ValueTask<bool> ReserveAsync(long length)
    {
        connection.EnterPhase(ConnectionPhase.HttpBody); // the heartbeat applies only the budget's deadline while it waits
        return _reservation.ReserveAsync(length);
    }

    /// <summary>Ends a wait for budget (the reader wakes up refused). Any thread.</summary>
    public void CancelBudgetWait() => _reservation.CancelWait();

    /// <summary>Gives back what a body that never got read holds (the connection ended between the reservation and the
    /// read). Teardown only, after the request loop.</summary>
    public void ReleaseBudget() => _reservation.ReleaseAll();

    /// <summary>
    /// Reads a whole request body: into pooled buffers grown from what arrives while it is small, and past
    /// <see cref="InboundBudget.SmallMessageBytes"/> into an array of exactly the inbound budget it holds.
    /// A Content-Length body over that size has reserved its length before this (<see cref="ReserveAsync"/>);
    /// a chunked one reserves in doubling steps as it grows, never reading more than its reservation holds.
    /// </summary>
    // Once per request; a body that is all here already completes without allocating a Task for its tuple.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(BodyOutcome Outcome, PooledBuffer Body)> ReadAsync(HttpBodyFraming framing, long maxBody)
    {
        var body = new PooledBufferWriter(InboundBudget.SmallMessageBytes);
        if (_reservation.Reserved > 0)
        {
            body.Own(_reservation.Reserved);
        }

        _chunked = default;
        Error = null;
        Volatile.Write(ref _bodyBytes, 0);
        Volatile.Write(ref _bodyTimedOut, 0);
        connection.EnterPhase(ConnectionPhase.HttpBody);
        long remaining = framing.Length;
        long seen = 0; // unconsumed bytes already counted

        // A chunk-size line (or the trailers) must fit in what one decode may read, or the decoder could never finish it.
        long minRoom = Math.Max(64 * 1024, 2L * ctx.Options.MaxRequestHeadBytes + 8);
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

                    if (connection.IsAborted)
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
                    ctx.Metrics.BytesReceived.Inc(take);
                    seen = buffer.Length - take;
                    if (remaining == 0)
                    {
                        return (outcome = BodyOutcome.Complete, body.Detach(ctx.InboundBudget));
                    }
                }
                else
                {
                    long reserved = _reservation.Reserved;
                    if (body.Room < minRoom && reserved < maxBody && body.Room < buffer.Length)
                    {
                        // Growing past its room: more budget first (doubling, as a fragmented WebSocket message), with
                        // the rest of the body unread meanwhile.
                        long target = Math.Min(Math.Max(2 * Math.Max(reserved, InboundBudget.SmallMessageBytes), body.Written + minRoom), maxBody);
                        if (!await _reservation.ReserveAsync(target - reserved).ConfigureAwait(false))
                        {
                            _input.AdvanceTo(buffer.Start);
                            return (outcome = connection.IsAborted ? BodyOutcome.Ended : BodyOutcome.NoBudget, default);
                        }

                        body.Own(_reservation.Reserved);
                        connection.EnterPhase(ConnectionPhase.HttpBody); // the body's deadlines run from the grant: the wait was ours
                        Volatile.Write(ref _bodyBytes, 0);
                    }

                    // Never more input than the room holds (decoded bytes are never more than their input), except at
                    // the body limit, which the decoder enforces itself.
                    bool sliced = _reservation.Reserved < maxBody && buffer.Length > body.Room;
                    var input = sliced ? buffer.Slice(0, body.Room) : buffer;
                    var status = _chunked.Decode(input, body, maxBody, ctx.Options.MaxRequestHeadBytes, out var consumed, out string? error);
                    Error = error;
                    long used = buffer.Slice(0, consumed).Length;
                    ctx.Metrics.BytesReceived.Inc(used);
                    switch (status)
                    {
                        case HttpChunkedStatus.Done:
                            _input.AdvanceTo(consumed);
                            return (outcome = BodyOutcome.Complete, body.Detach(ctx.InboundBudget));
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
            _reservation.HandOver(outcome == BodyOutcome.Complete ? _reservation.Reserved : 0);
        }
    }

    /// <summary>The body's deadlines (called by the heartbeat in <see cref="ConnectionPhase.HttpBody"/>).</summary>
    public void OnHeartbeat(long now, long inPhase)
    {
        if (CheckBudgetWait(now))
        {
            return;
        }

        if (IsTooSlow(inPhase) && Interlocked.Exchange(ref _bodyTimedOut, 1) == 0)
        {
            connection.TimedOut("body");
            _input.CancelPendingRead(); // the body loop answers 408 and the connection closes
        }
    }

    /// <summary>A body waiting for inbound budget: its peer is silent because we do not read it, so the body's rules
    /// wait too; past <see cref="ConnectionContext.InboundBudgetTicks"/> the wait is given up (the request loop answers 503).
    /// True while it waits.</summary>
    private bool CheckBudgetWait(long now)
    {
        long waitStarted = _reservation.WaitStarted;
        if (waitStarted == 0)
        {
            return false;
        }

        if (now - waitStarted > ctx.InboundBudgetTicks && _reservation.CancelWait())
        {
            connection.TimedOut("inbound_budget");
            ctx.Metrics.InboundBudgetRefusals.WithLabels("wait").Inc();
        }

        return true;
    }

    // Kestrel's rule: the whole body within its deadline, and after the grace period an average rate (since the body
    // began) of at least the minimum, so a body trickled a few bytes at a time cannot hold the connection for long.
    private bool IsTooSlow(long inPhase)
    {
        if (inPhase > ctx.BodyTicks)
        {
            return true;
        }

        double rate = ctx.Options.MinRequestBodyRate;
        if (rate <= 0 || inPhase <= ctx.BodyRateGraceTicks)
        {
            return false;
        }

        double seconds = (double)inPhase / ctx.Time.TimestampFrequency;
        return Volatile.Read(ref _bodyBytes) < rate * seconds;
    }
}
