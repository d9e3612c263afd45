using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using ExaiFast.Server.Logging;
using ExaiFast.Server.Transport;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Connections;

/// <summary>One accepted socket: HTTP request heads, then (after an upgrade) a WebSocket.</summary>
/// <remarks>
/// One reader loop (<see cref="RunAsync"/>) and, once upgraded, one writer loop: nothing else touches the pipes.
/// Teardown has a single owner, the end of <see cref="RunAsync"/>; <see cref="Abort"/> (heartbeat, shutdown) only
/// makes the loops stop.
/// </remarks>
internal sealed partial class Connection : IThreadPoolWorkItem
{
    private static long s_nextId;

    private readonly ServerContext _ctx;
    private readonly ConnectionTransport _transport;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly CancellationTokenSource _closed = new();
    private volatile ConnectionPhase _phase;
    private long _phaseStarted;
    private int _aborted;
    private int _shutdownRequested;
    private bool _admitted; // holds a slot in the registry's connection limits (taken at accept)

    public Connection(Socket socket, ServerContext ctx)
    {
        _ctx = ctx;
        Id = Interlocked.Increment(ref s_nextId);
        RemoteEndPoint = socket.RemoteEndPoint;
        RemoteAddress = (RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        if (RemoteAddress.IsIPv4MappedToIPv6)
        {
            RemoteAddress = RemoteAddress.MapToIPv4();
        }

        _transport = ConnectionTransport.Create(socket, ctx.Options.Transport);
        _input = _transport.Input;
        _output = _transport.Output;
        _phaseStarted = ctx.Time.GetTimestamp();
    }

    public long Id { get; }

    public EndPoint? RemoteEndPoint { get; }

    public IPAddress RemoteAddress { get; }

    /// <summary>Runs on the thread pool (started by the accept loop).</summary>
    public void Execute() => _ = RunAsync();

    public async Task RunAsync()
    {
        _ctx.Registry.Add(this);
        _ctx.Metrics.ConnectionsOpen.Inc();
        _ctx.Metrics.ConnectionsTotal.Inc();
        ServerLog.ConnectionOpened(_ctx.Logger, Id, RemoteEndPoint?.ToString());
        string reason = "peer closed";
        try
        {
            var refusal = _ctx.Registry.TryAdmit(RemoteAddress);
            if (refusal != ConnectionRefusal.None)
            {
                reason = await RefuseAsync(refusal).ConfigureAwait(false);
                return;
            }

            _admitted = true;
            var upgrade = await ProcessHttpAsync().ConfigureAwait(false);
            if (upgrade is not null)
            {
                var task = RunWebSocketAsync(upgrade);
                upgrade = null; // not kept in this state machine while the WebSocket lives (see RunWebSocketAsync)
                reason = await task.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsConnectionError(ex))
        {
            reason = Volatile.Read(ref _aborted) != 0 ? "aborted" : $"connection error ({ex.GetType().Name}: {ex.Message})";
        }
        catch (Exception ex)
        {
            reason = "unexpected error";
            ServerLog.UnexpectedError(_ctx.Logger, Id, ex);
        }
        finally
        {
            await TeardownAsync().ConfigureAwait(false);
            ServerLog.ConnectionClosed(_ctx.Logger, Id, reason);
        }
    }

    /// <summary>Makes both loops stop now: shuts the socket down and cancels pending pipe operations. Idempotent.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        _transport.Abort();
        CancelRequest();
        CancelBudgetWait();
        try
        {
            _input.CancelPendingRead();
            _output.CancelPendingFlush();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // pipes already completed by teardown
        }
    }

    /// <summary>Shutdown: WebSockets get a 1001 close and time to answer it; idle HTTP connections end now; a request
    /// being served finishes (with <c>Connection: close</c> if its head is not out yet) until the drain deadline aborts it.</summary>
    /// <remarks>
    /// A connection between its 101 and its writer loop is neither: the flag makes the upgrade path close it as soon as
    /// the writer exists. Flag and writer are both published with full fences, so at least one side sees the other.
    /// </remarks>
    public void BeginShutdown()
    {
        Interlocked.Exchange(ref _shutdownRequested, 1);
        if (Volatile.Read(ref _outbound) is null)
        {
            if (Volatile.Read(ref _handler) is null && _phase is not (ConnectionPhase.HttpBody or ConnectionPhase.HttpServing))
            {
                Abort(); // plain HTTP (no 101 sent) and no request in hand; the HTTP loop stops after one it is serving
            }

            CancelBudgetWait(); // a body waiting for budget is refused (503) rather than read during the drain
            return;
        }

        BeginClose(Wire.CloseCodes.GoingAway, "server shutting down");
        CancelBudgetWait(); // a message waiting for budget would only be discarded after our close
    }

    /// <summary>Ends a wait for inbound budget (the reader wakes up refused). Any thread.</summary>
    private void CancelBudgetWait()
    {
        if (Volatile.Read(ref _budgetWaiter) is { } waiter)
        {
            _ctx.InboundBudget.Cancel(waiter);
        }
    }

    /// <summary>Past a connection limit: 503 before the request is read, then the lingering close of the teardown.</summary>
    /// <remarks>
    /// Answering before reading is deliberate: reading the head first (to send a WebSocket client 101 and then 1008,
    /// as before) would let a refused socket hold the server for the whole handshake timeout without holding a slot,
    /// which is exactly the crowding the limits are there to stop. A WebSocket client sees the 503 as a failed handshake.
    /// </remarks>
    private async Task<string> RefuseAsync(ConnectionRefusal refusal)
    {
        string label = refusal == ConnectionRefusal.MaxConnections ? "max_connections" : "max_connections_per_ip";
        ServerLog.Refused(_ctx.Logger, Id, label);
        _ctx.Metrics.ConnectionsRefused.WithLabels(label).Inc();
        string text = refusal == ConnectionRefusal.MaxConnections ? "too many connections" : "too many connections from this address";
        await RespondErrorAsync("other", 503, text, "Retry-After: 1\r\n").ConfigureAwait(false);
        return label;
    }

    private void EnterPhase(ConnectionPhase phase)
    {
        Volatile.Write(ref _phaseStarted, _ctx.Time.GetTimestamp());
        _phase = phase;
    }

    private async Task TeardownAsync()
    {
        _closed.Cancel();
        ReturnMessageBuffer(); // the reader may have ended by an exception, with a message (and its budget) half read
        EnterPhase(ConnectionPhase.Closing); // the heartbeat aborts whatever below outlives the close deadline
        if (_outbound is not null)
        {
            _outbound.Writer.TryComplete();
            await _writer!.ConfigureAwait(false);
        }

        if (Volatile.Read(ref _aborted) == 0)
        {
            // Lingering close: FIN first, then read until the peer's FIN, so that unread bytes of ours
            // (e.g. the close frame) are not destroyed by the RST a close() with unread input would send.
            _transport.ShutdownSend();
            await DrainInputAsync().ConfigureAwait(false);
        }

        // After an abort, completing the writer without an error made the streams adapter flush what it still held
        // into the shut-down socket; that threw out of this teardown, and the connection stayed registered (and
        // counted, and never told to its handler) for ever. Give up what is unsent instead, and never let it throw.
        Exception? unsent = Volatile.Read(ref _aborted) != 0 ? new OperationCanceledException("connection aborted") : null;
        try
        {
            await _input.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync(unsent).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionError(ex))
        {
            // the peer is gone; what matters is the bookkeeping below
        }

        _transport.Dispose();

        _ctx.Registry.Remove(this);
        _ctx.Metrics.ConnectionsOpen.Dec();
        if (_admitted)
        {
            _ctx.Registry.Release(RemoteAddress);
        }

        if (_opened)
        {
            _ctx.Registry.WebSocketClosed();
            _ctx.Metrics.WebSocketsOpen.Dec();
            _door!.OnClosed();
        }

        _closed.Dispose();
    }

    private async Task DrainInputAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (IsConnectionError(ex))
        {
            // reset while lingering: nothing left to protect
        }
    }

    private static bool IsConnectionError(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException
            or Pipelines.Sockets.Unofficial.ConnectionResetException or Pipelines.Sockets.Unofficial.ConnectionAbortedException
            or InvalidOperationException { Source: "System.IO.Pipelines" };
}
