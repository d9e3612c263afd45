using System.Buffers;
using System.Net;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Logging;
using ExaiFast.Wire;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.WebSockets;

/// <summary>A connection after its upgrade: the frame loop (<see cref="WebSocketConnection"/>.Receive.cs), message
/// assembly under the inbound budget (<see cref="MessageAssembler"/>), the one writer (<see cref="WebSocketWriter"/>),
/// the closing handshake, and the ping and budget deadlines (.Timeouts.cs). Its door sees it as an <see cref="IWebSocketSession"/>.</summary>
/// <remarks>
/// Made by HTTP at the upgrade, from the request that asked for it: the door is chosen then, once (by path,
/// then by the handler's routing on the subprotocol), and every message goes straight to it.
/// </remarks>
internal sealed partial class WebSocketConnection : IWebSocketSession, IUpgradedProtocol
{
    private readonly TransportConnection _connection;
    private readonly ConnectionContext _ctx;
    private readonly IWebSocketHandler _handler;
    private readonly MessageAssembler _assembler;
    private readonly WebSocketWriter _writer;
    private readonly CancellationTokenSource _closed = new();
    private bool _opened; // counted in the open gauges and announced to the handler
    private IWebSocketDoor? _door;
    private int _closeSent;
    private CloseReason? _endedBy; // recorded by the heartbeat (EndBy), returned by the reader

    public WebSocketConnection(TransportConnection connection, ConnectionContext ctx, HttpRequestHead upgrade, IWebSocketHandler handler)
    {
        _connection = connection;
        _ctx = ctx;
        _handler = upgrade.Path == "/echo" ? EchoHandler.Instance : handler;
        Subprotocol = Subprotocols.Select(upgrade);
        Principal = Subprotocol == Subprotocols.Mcp ? ctx.Access?.PrincipalOf(upgrade) : null; // admitted at the upgrade
        _assembler = new MessageAssembler(ctx, connection);
        _writer = new WebSocketWriter(this, connection, ctx);
    }

    /// <inheritdoc />
    public long ConnectionId => _connection.Id;

    /// <inheritdoc />
    public string? Subprotocol { get; }

    /// <inheritdoc />
    public string? Principal { get; }

    /// <inheritdoc />
    public IPAddress RemoteAddress => _connection.RemoteAddress;

    /// <inheritdoc />
    public CancellationToken ConnectionClosed => _closed.Token;

    private bool IsCloseSent => Volatile.Read(ref _closeSent) != 0;

    /// <summary>After the 101: starts the one writer. From here on, a close can be sent.</summary>
    public void Start() => _writer.Start();

    /// <summary>Counts the WebSocket and opens its door.</summary>
    public void Open()
    {
        _ctx.Registry.WebSocketOpened();
        _ctx.Metrics.WebSocketsOpen.Inc();
        _ctx.Metrics.WebSocketsTotal.WithLabels(Subprotocol ?? "exai-ws").Inc();
        Volatile.Write(ref _lastReceived, _ctx.Time.GetTimestamp());
        _connection.EnterPhase(ConnectionPhase.WebSocket);
        _opened = true;
        _door = _handler.Open(this);
    }

    /// <summary>Reads frames until the connection ends; returns why it ended.</summary>
    public Task<CloseReason> RunAsync() => ReceiveLoopAsync();

    /// <inheritdoc />
    public ValueTask SendAsync(WebSocketOpcode opcode, PooledBuffer payload, CancellationToken cancellationToken = default) =>
        Send(new OutboundFrame(opcode, payload), cancellationToken);

    /// <inheritdoc />
    public ValueTask SendFollowedAsync(WebSocketOpcode opcode, PooledBuffer payload) =>
        Send(new OutboundFrame(opcode, payload, More: true), CancellationToken.None);

    /// <inheritdoc />
    public bool TrySend(WebSocketOpcode opcode, PooledBuffer payload)
    {
        if (!IsCloseSent && _writer.TryQueue(new OutboundFrame(opcode, payload)))
        {
            return true;
        }

        payload.Return();
        return false;
    }

    /// <inheritdoc />
    public void Close(ushort code, string reason) => BeginClose(code, reason);

    /// <inheritdoc />
    /// <remarks>A close 1001 and time to answer it; a message waiting for budget would only be discarded after it.</remarks>
    public void BeginShutdown()
    {
        BeginClose(CloseCodes.GoingAway, "server shutting down");
        _assembler.Reservation.CancelWait();
    }

    /// <inheritdoc />
    public void OnAborted() => _assembler.Reservation.CancelWait();

    /// <inheritdoc />
    public async ValueTask StopAsync()
    {
        _closed.Cancel();
        _assembler.Discard(); // the reader may have ended by an exception, with a message (and its budget) half read
        await _writer.CompleteAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void OnClosed()
    {
        if (_opened)
        {
            _ctx.Registry.WebSocketClosed();
            _ctx.Metrics.WebSocketsOpen.Dec();
            _door?.OnClosed();
        }

        _closed.Dispose();
    }

    /// <summary>The writer loop ended (close frame written, peer gone, or failure): the reader may be waiting for a
    /// frame that will never be answered.</summary>
    internal void OnWriterEnded()
    {
        if (IsCloseSent && _connection.Phase != ConnectionPhase.Closing)
        {
            _connection.EnterPhase(ConnectionPhase.Closing);
        }
    }

    private ValueTask Send(OutboundFrame frame, CancellationToken cancellationToken)
    {
        if (IsCloseSent)
        {
            frame.Payload.Return();
            return default;
        }

        return _writer.QueueAsync(frame, cancellationToken);
    }

    /// <summary>Server-initiated graceful close: send ours, keep reading until the peer's close or the close deadline.</summary>
    private void BeginClose(ushort code, string reason)
    {
        if (TrySendClose(code, reason))
        {
            _connection.EnterPhase(ConnectionPhase.Closing);
        }
    }

    /// <summary>Queues our close frame once; returns false if one was already sent.</summary>
    private bool TrySendClose(ushort code, string reason) => !IsCloseSent && SendCloseFrame(code, reason, countAsServer: true);

    private bool SendCloseFrame(ushort code, string reason, bool countAsServer)
    {
        if (Interlocked.Exchange(ref _closeSent, 1) != 0)
        {
            return false;
        }

        PooledBuffer body = default;
        if (code != 0)
        {
            byte[] array = ArrayPool<byte>.Shared.Rent(125);
            body = new PooledBuffer(array, FrameWriter.WriteCloseBody(array.AsSpan(0, 125), code, reason));
        }

        if (countAsServer)
        {
            _ctx.Metrics.Closes.WithLabels(code.ToString(System.Globalization.CultureInfo.InvariantCulture), "server").Inc();
        }

        if (!_writer.TryQueue(new OutboundFrame(WebSocketOpcode.Close, body)))
        {
            // The queue is full, so the peer isn't reading: it would never see the close either.
            body.Return();
            _connection.Abort();
        }

        return true;
    }

    /// <summary>Fails the connection: close frame with <paramref name="code"/>, then the TCP connection ends.</summary>
    private CloseReason Fail(ushort code, string reason)
    {
        ServerLog.ProtocolError(_ctx.Logger, _connection.Id, code, reason);
        TrySendClose(code, reason);
        return CloseReason.ProtocolError(reason);
    }
}
