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
        long inPhase = now - Volatile.Read(ref _phaseStarted);
        switch (_phase)
        {
            case ConnectionPhase.Http when inPhase > _ctx.HandshakeTicks:
                TimedOut("handshake");
                Abort();
                break;
            case ConnectionPhase.Closing when inPhase > _ctx.CloseTicks:
                TimedOut("close");
                Abort();
                break;
            case ConnectionPhase.WebSocket:
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

    private void TimedOut(string kind)
    {
        ServerLog.TimedOut(_ctx.Logger, Id, kind);
        _ctx.Metrics.Timeouts.WithLabels(kind).Inc();
    }
}
