using ExaiFast.Server.Logging;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.Connections;

internal sealed partial class Connection
{
    private static readonly byte[] s_pingPayload = "exaifast"u8.ToArray();

    /// <summary>Called by the registry's heartbeat (not on the reader's thread): enforces the phase's deadline.</summary>
    public void OnHeartbeat(long now)
    {
        // Phase first, then its start: EnterPhase writes them the other way round, so a new phase is never judged by
        // the previous phase's start (an idle keep-alive wait would otherwise count against the next head's deadline).
        var phase = _phase;
        long inPhase = now - Volatile.Read(ref _phaseStarted);
        switch (phase)
        {
            case ConnectionPhase.HttpHead when inPhase > _ctx.HandshakeTicks:
                TimedOut("handshake");
                Abort();
                break;
            case ConnectionPhase.HttpIdle when inPhase > _ctx.KeepAliveTicks:
                TimedOut("keepalive");
                Abort();
                break;
            case ConnectionPhase.HttpBody:
                if (CheckBodyBudgetWait(now))
                {
                    break;
                }

                if (IsBodyTooSlow(inPhase) && Interlocked.Exchange(ref _bodyTimedOut, 1) == 0)
                {
                    TimedOut("body");
                    _input.CancelPendingRead(); // the body loop answers 408 and the connection closes
                }

                break;
            case ConnectionPhase.HttpServing:
                long flushStarted = Volatile.Read(ref _flushStarted);
                if (flushStarted != 0 && now - flushStarted > _ctx.KeepAliveTicks)
                {
                    TimedOut("write");
                    Abort(); // the peer stopped reading the response (an event stream, typically)
                    break;
                }

                Volatile.Read(ref _eventStream)?.OnHeartbeat(now, _ctx.EventStreamKeepAliveTicks);
                break;
            case ConnectionPhase.Closing when inPhase > _ctx.CloseTicks:
                TimedOut("close");
                Abort();
                break;
            case ConnectionPhase.WebSocket:
                if (CheckInboundBudget(now))
                {
                    break;
                }

                long silence = now - Volatile.Read(ref _lastReceived);
                if (silence > _ctx.PingDeadTicks)
                {
                    TimedOut("ping");
                    _failReason = "ping timeout";
                    TrySendClose(CloseCodes.GoingAway, "ping timeout");
                    EnterPhase(ConnectionPhase.Closing);
                    _input.CancelPendingRead(); // the reader ends; teardown flushes the close and lingers
                }
                else if (silence > _ctx.PingIntervalTicks && Interlocked.Exchange(ref _pingSent, 1) == 0)
                {
                    var ping = PooledBuffer.CopyOf(s_pingPayload);
                    if (!_outbound!.Writer.TryWrite(new OutboundFrame(WebSocketOpcode.Ping, ping)))
                    {
                        ping.Return();
                    }
                }

                break;
        }
    }

    /// <summary>
    /// The inbound budget's deadline: a big message may wait for budget, and then hold it while it arrives, for
    /// <see cref="ServerContext.InboundBudgetTicks"/> each; past either, close 1008. True while the message waits: the
    /// peer is silent because we stopped reading it, so the ping rule does not apply.
    /// </summary>
    private bool CheckInboundBudget(long now)
    {
        long waitStarted = Volatile.Read(ref _budgetWaitStarted);
        if (waitStarted != 0)
        {
            if (now - waitStarted > _ctx.InboundBudgetTicks && Volatile.Read(ref _budgetWaiter) is { } waiter)
            {
                EndForBudget("wait", "server busy: no memory budget for this message in time");
                _ctx.InboundBudget.Cancel(waiter); // the reader wakes up refused (or, granted a moment ago, reads on
                                                   // into the cancelled read below)
            }

            return true;
        }

        long heldSince = Volatile.Read(ref _budgetHeldSince);
        if (heldSince != 0 && now - heldSince > _ctx.InboundBudgetTicks)
        {
            EndForBudget("hold", "message took too long to arrive");
            return true;
        }

        return false;
    }

    /// <summary>An HTTP body waiting for inbound budget: its peer is silent because we do not read it, so the body's
    /// rules wait too; past <see cref="ServerContext.InboundBudgetTicks"/> the wait is given up (the reader answers 503).
    /// True while it waits.</summary>
    private bool CheckBodyBudgetWait(long now)
    {
        long waitStarted = Volatile.Read(ref _budgetWaitStarted);
        if (waitStarted == 0)
        {
            return false;
        }

        if (now - waitStarted > _ctx.InboundBudgetTicks && Volatile.Read(ref _budgetWaiter) is { } waiter && _ctx.InboundBudget.Cancel(waiter))
        {
            TimedOut("inbound_budget");
            _ctx.Metrics.InboundBudgetRefusals.WithLabels("wait").Inc();
        }

        return true;
    }

    private void EndForBudget(string kind, string reason)
    {
        if (Volatile.Read(ref _closeSent) != 0)
        {
            return; // already closing; the close deadline ends it
        }

        TimedOut("inbound_budget");
        _ctx.Metrics.InboundBudgetRefusals.WithLabels(kind).Inc();
        _failReason = reason;
        TrySendClose(CloseCodes.PolicyViolation, reason);
        EnterPhase(ConnectionPhase.Closing);
        _input.CancelPendingRead(); // the reader ends; teardown gives the budget back, flushes the close and lingers
    }

    // Kestrel's rule: the whole body within its deadline, and after the grace period an average rate (since the body
    // began) of at least the minimum, so a body trickled a few bytes at a time cannot hold the connection for long.
    private bool IsBodyTooSlow(long inPhase)
    {
        if (inPhase > _ctx.BodyTicks)
        {
            return true;
        }

        double rate = _ctx.Options.MinRequestBodyRate;
        if (rate <= 0 || inPhase <= _ctx.BodyRateGraceTicks)
        {
            return false;
        }

        double seconds = (double)inPhase / _ctx.Time.TimestampFrequency;
        return Volatile.Read(ref _bodyBytes) < rate * seconds;
    }

    private void TimedOut(string kind)
    {
        ServerLog.TimedOut(_ctx.Logger, Id, kind);
        _ctx.Metrics.Timeouts.WithLabels(kind).Inc();
    }
}
