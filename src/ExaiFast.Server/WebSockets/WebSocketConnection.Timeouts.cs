using ExaiFast.Server.Connections;
using ExaiFast.Wire;

namespace ExaiFast.Server.WebSockets;

// The open WebSocket's deadlines: ping after silence, close after more, and the inbound budget's wait and hold.
internal sealed partial class WebSocketConnection
{
    private static readonly byte[] s_pingPayload = "exaifast"u8.ToArray();

    private long _lastReceived; // timestamp of the last read that brought bytes (read by the heartbeat)
    private int _pingSent;

    /// <inheritdoc />
    public void OnHeartbeat(long now, ConnectionPhase phase, long inPhase)
    {
        if (phase != ConnectionPhase.WebSocket || CheckInboundBudget(now))
        {
            return;
        }

        long silence = now - Volatile.Read(ref _lastReceived);
        if (silence > _ctx.PingDeadTicks)
        {
            _connection.TimedOut("ping");
            EndBy(CloseReason.PingTimeout);
            TrySendClose(CloseCodes.GoingAway, CloseReason.PingTimeout.Text);
            _connection.EnterPhase(ConnectionPhase.Closing);
            _connection.Input.CancelPendingRead(); // the reader ends; teardown flushes the close and lingers
        }
        else if (silence > _ctx.PingIntervalTicks && Interlocked.Exchange(ref _pingSent, 1) == 0)
        {
            var ping = PooledBuffer.CopyOf(s_pingPayload);
            if (!_writer.TryQueue(new OutboundFrame(WebSocketOpcode.Ping, ping)))
            {
                ping.Return();
            }
        }
    }

    /// <summary>
    /// The inbound budget's deadline: a big message may wait for budget, and then hold it while it arrives, for
    /// <see cref="ConnectionContext.InboundBudgetTicks"/> each; past either, close 1008. True while the message waits: the
    /// peer is silent because we stopped reading it, so the ping rule does not apply.
    /// </summary>
    private bool CheckInboundBudget(long now)
    {
        var reservation = _assembler.Reservation;
        long waitStarted = reservation.WaitStarted;
        if (waitStarted != 0)
        {
            if (now - waitStarted > _ctx.InboundBudgetTicks && reservation.IsWaiting)
            {
                EndForBudget("wait", "server busy: no memory budget for this message in time");
                reservation.CancelWait(); // the reader wakes up refused (or, granted a moment ago, reads on into the
                                          // cancelled read below)
            }

            return true;
        }

        long heldSince = reservation.HeldSince;
        if (heldSince != 0 && now - heldSince > _ctx.InboundBudgetTicks)
        {
            EndForBudget("hold", "message took too long to arrive");
            return true;
        }

        return false;
    }

    private void EndForBudget(string kind, string reason)
    {
        if (IsCloseSent)
        {
            return; // already closing; the close deadline ends it
        }

        _connection.TimedOut("inbound_budget");
        _ctx.Metrics.InboundBudgetRefusals.WithLabels(kind).Inc();
        EndBy(CloseReason.InboundBudget(reason));
        TrySendClose(CloseCodes.PolicyViolation, reason);
        _connection.EnterPhase(ConnectionPhase.Closing);
        _connection.Input.CancelPendingRead(); // the reader ends; teardown gives the budget back, flushes the close and lingers
    }

    /// <summary>Records why the heartbeat ends the connection, for the reader to return when its read is cancelled; the
    /// first reason stays.</summary>
    private void EndBy(CloseReason reason) => Interlocked.CompareExchange(ref _endedBy, reason, null);
}
