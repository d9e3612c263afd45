using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using ExaiFast.Server.Logging;
using ExaiFast.Server.Transport;

namespace ExaiFast.Server.Connections;

/// <summary>One accepted socket: its pipes, its slot in the connection limits, its phase and deadlines, its teardown.
/// What it speaks is an <see cref="IConnectionProtocol"/>: the <see cref="IOpeningProtocol"/> its context opens (HTTP/1.1)
/// from the first byte, then the <see cref="IUpgradedProtocol"/> (a WebSocket) if a request upgrades — chosen once, at
/// the upgrade.</summary>
/// <remarks>
/// One protocol loop at a time reads the input. Teardown has a single owner, the end of <see cref="RunAsync"/>;
/// <see cref="Abort"/> (heartbeat, shutdown, a failed write) only makes the loops stop.
/// </remarks>
internal sealed class TransportConnection : IThreadPoolWorkItem
{
    private static long s_nextId;

    private readonly ConnectionContext _ctx;
    private readonly SocketPipe _socket;
    private IOpeningProtocol? _opening; // until the upgrade: an open WebSocket does not keep its HTTP side alive
    private IConnectionProtocol _protocol;
    private volatile ConnectionPhase _phase;
    private long _phaseStarted;
    private int _aborted;
    private int _shutdownRequested;
    private bool _admitted; // holds a slot in the registry's connection limits (taken at accept)

    public TransportConnection(Socket socket, ConnectionContext ctx)
    {
        _ctx = ctx;
        Id = Interlocked.Increment(ref s_nextId);
        RemoteEndPoint = socket.RemoteEndPoint;
        RemoteAddress = (RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        if (RemoteAddress.IsIPv4MappedToIPv6)
        {
            RemoteAddress = RemoteAddress.MapToIPv4();
        }

        _socket = SocketPipe.Create(socket, ctx.Options.Transport);
        _phaseStarted = ctx.Time.GetTimestamp();
        _opening = ctx.Open(this);
        _protocol = _opening;
    }

    public long Id { get; }

    public EndPoint? RemoteEndPoint { get; }

    public IPAddress RemoteAddress { get; }

    /// <summary>Bytes from the peer; read by the current protocol's loop only.</summary>
    public PipeReader Input => _socket.Input;

    /// <summary>Bytes to the peer; written by the current protocol's one writer only.</summary>
    public PipeWriter Output => _socket.Output;

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public bool IsShutdownRequested => Volatile.Read(ref _shutdownRequested) != 0;

    /// <summary>The phase the heartbeat judges the connection by.</summary>
    public ConnectionPhase Phase => _phase;

    /// <summary>What the connection speaks now: HTTP, then the WebSocket after an upgrade.</summary>
    public IConnectionProtocol Protocol => Volatile.Read(ref _protocol);

    /// <summary>Runs on the thread pool (started by the accept loop).</summary>
    public void Execute() => _ = RunAsync();

    public async Task RunAsync()
    {
        _ctx.Registry.Add(this);
        _ctx.Metrics.ConnectionsOpen.Inc();
        _ctx.Metrics.ConnectionsTotal.Inc();
        ServerLog.ConnectionOpened(_ctx.Logger, Id, RemoteEndPoint?.ToString());
        var reason = CloseReason.PeerClosed;
        try
        {
            if (!_ctx.ConnectionRate.TryOpen(RemoteAddress, out var retryAfter))
            {
                reason = await RefuseRateAsync(retryAfter).ConfigureAwait(false);
                return;
            }

            var refusal = _ctx.Registry.TryAdmit(RemoteAddress);
            if (refusal != ConnectionRefusal.None)
            {
                reason = await RefuseAsync(refusal).ConfigureAwait(false);
                return;
            }

            _admitted = true;
            // The request head that asked for an upgrade stays in the opening protocol's loop, which has ended: an async
            // method's locals live in its state machine for as long as it runs, and an idle connection would keep the whole
            // head (a dozen header strings, about 0.5 KiB) for its lifetime.
            var upgraded = await _opening!.RunAsync().ConfigureAwait(false);
            if (upgraded is not null)
            {
                // The upgraded protocol runs here, not in an async method of its own: a second state machine waiting as long
                // as the WebSocket lives was 144 bytes of every idle connection. The connection already holds its slot in
                // the connection limits (taken at accept): an upgrade is not counted again.
                SwitchTo(upgraded);
                reason = await upgraded.RunAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ConnectionErrors.IsConnectionError(ex))
        {
            reason = IsAborted ? CloseReason.Aborted : CloseReason.ConnectionError(ex);
        }
        catch (Exception ex)
        {
            reason = CloseReason.UnexpectedError;
            ServerLog.UnexpectedError(_ctx.Logger, Id, ex);
        }
        finally
        {
            await TeardownAsync().ConfigureAwait(false);
            ServerLog.ConnectionClosed(_ctx.Logger, Id, reason.Text);
        }
    }

    /// <summary>Makes the loops stop now: shuts the socket down and cancels pending pipe operations. Idempotent.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        _socket.Abort();
        Volatile.Read(ref _protocol).OnAborted();
        try
        {
            Input.CancelPendingRead();
            Output.CancelPendingFlush();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // pipes already completed by teardown
        }
    }

    /// <summary>Shutdown: WebSockets get a 1001 close and time to answer it; idle HTTP connections end now; a request
    /// being served finishes (with <c>Connection: close</c> if its head is not out yet) until the drain deadline aborts it.</summary>
    /// <remarks>
    /// A connection between its 101 and its WebSocket's writer is neither: the flag makes the upgrade close it as soon as
    /// the WebSocket is published. Flag and protocol are both published with full fences, so at least one side sees the other.
    /// </remarks>
    public void BeginShutdown()
    {
        Interlocked.Exchange(ref _shutdownRequested, 1);
        Volatile.Read(ref _protocol).BeginShutdown();
    }

    /// <summary>Starts <paramref name="phase"/> now; the heartbeat applies its deadline from here.</summary>
    public void EnterPhase(ConnectionPhase phase)
    {
        Volatile.Write(ref _phaseStarted, _ctx.Time.GetTimestamp());
        _phase = phase;
    }

    /// <summary>Called by the registry's heartbeat (not on the protocol's thread): enforces the phase's deadline.</summary>
    public void OnHeartbeat(long now)
    {
        // Phase first, then its start: EnterPhase writes them the other way round, so a new phase is never judged by
        // the previous phase's start (an idle keep-alive wait would otherwise count against the next head's deadline).
        var phase = _phase;
        long inPhase = now - Volatile.Read(ref _phaseStarted);
        if (phase != ConnectionPhase.Closing)
        {
            Volatile.Read(ref _protocol).OnHeartbeat(now, phase, inPhase);
        }
        else if (inPhase > _ctx.CloseTicks)
        {
            TimedOut("close");
            Abort();
        }
    }

    /// <summary>Counts and logs a deadline that passed (<paramref name="kind"/> is the metric's label).</summary>
    public void TimedOut(string kind)
    {
        ServerLog.TimedOut(_ctx.Logger, Id, kind);
        _ctx.Metrics.Timeouts.WithLabels(kind).Inc();
    }

    /// <summary>Past a connection limit: 503 before the request is read, then the lingering close of the teardown.</summary>
    /// <remarks>
    /// Answering before reading is deliberate: reading the head first (to send a WebSocket client 101 and then 1008,
    /// as before) would let a refused socket hold the server for the whole handshake timeout without holding a slot,
    /// which is exactly the crowding the limits are there to stop. A WebSocket client sees the 503 as a failed handshake.
    /// </remarks>
    private async Task<CloseReason> RefuseAsync(ConnectionRefusal refusal)
    {
        string label = refusal == ConnectionRefusal.MaxConnections ? "max_connections" : "max_connections_per_ip";
        ServerLog.Refused(_ctx.Logger, Id, label);
        _ctx.Metrics.ConnectionsRefused.WithLabels(label).Inc();
        string text = refusal == ConnectionRefusal.MaxConnections ? "too many connections" : "too many connections from this address";
        await _opening!.RefuseAsync(text).ConfigureAwait(false);
        return CloseReason.Refused(label);
    }

    /// <summary>Over the address's connection rate: 429 with Retry-After before the request is read, then the lingering
    /// close of the teardown (a client that is not HTTP reads the 429's bytes and a clean FIN, never a reset).</summary>
    private async Task<CloseReason> RefuseRateAsync(TimeSpan retryAfter)
    {
        const string label = "rate_per_ip";
        ServerLog.RateLimited(_ctx.Logger, Id);
        _ctx.Metrics.ConnectionsRefused.WithLabels(label).Inc();
        _ctx.Metrics.RateLimited.WithLabels(Limits.ConnectionRateLimit.Label).Inc();
        await _opening!.RefuseRateAsync(retryAfter).ConfigureAwait(false);
        return CloseReason.Refused(label);
    }

    /// <summary>After the 101: the WebSocket takes the connection over from HTTP.</summary>
    private void SwitchTo(IUpgradedProtocol upgraded)
    {
        upgraded.Start();
        Interlocked.Exchange(ref _protocol, upgraded); // full fence: see BeginShutdown
        _opening = null;
        upgraded.Open();
        if (IsShutdownRequested)
        {
            upgraded.BeginShutdown(); // shutdown raced the upgrade
        }
    }

    private async Task TeardownAsync()
    {
        var protocol = Volatile.Read(ref _protocol);
        EnterPhase(ConnectionPhase.Closing); // the heartbeat aborts whatever below outlives the close deadline
        await protocol.StopAsync().ConfigureAwait(false);

        if (!IsAborted)
        {
            // Lingering close: FIN first, then read until the peer's FIN, so that unread bytes of ours
            // (e.g. the close frame) are not destroyed by the RST a close() with unread input would send.
            _socket.ShutdownSend();
            await DrainInputAsync().ConfigureAwait(false);
        }

        // After an abort, completing the writer without an error made the streams adapter flush what it still held
        // into the shut-down socket; that threw out of this teardown, and the connection stayed registered (and
        // counted, and never told to its handler) for ever. Give up what is unsent instead, and never let it throw.
        Exception? unsent = IsAborted ? new OperationCanceledException("connection aborted") : null;
        try
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            await Output.CompleteAsync(unsent).ConfigureAwait(false);
        }
        catch (Exception ex) when (ConnectionErrors.IsConnectionError(ex))
        {
            // the peer is gone; what matters is the bookkeeping below
        }

        _socket.Dispose();

        _ctx.Registry.Remove(this);
        _ctx.Metrics.ConnectionsOpen.Dec();
        if (_admitted)
        {
            _ctx.Registry.Release(RemoteAddress);
        }

        protocol.OnClosed();
    }

    private async Task DrainInputAsync()
    {
        try
        {
            while (true)
            {
                var result = await Input.ReadAsync().ConfigureAwait(false);
                Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ConnectionErrors.IsConnectionError(ex))
        {
            // reset while lingering: nothing left to protect
        }
    }
}
