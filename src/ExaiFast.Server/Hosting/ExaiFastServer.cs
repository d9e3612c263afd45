using System.Net;
using System.Net.Sockets;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Http;
using ExaiFast.Server.Logging;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Options;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExaiFast.Server.Hosting;

/// <summary>The listening socket, its accept loop, and graceful shutdown of every connection it accepted.</summary>
/// <remarks>
/// <see cref="StartAsync"/> and <see cref="StopAsync"/> are called once each, from one thread (the host).
/// Everything else is safe to read from any thread.
/// </remarks>
internal sealed class ExaiFastServer : IAsyncDisposable
{
    private readonly ServerContext _ctx;
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _stopped;

    /// <summary>Creates a server; nothing is bound until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="handler">Where WebSocket messages go; <see cref="EchoHandler"/> if null.</param>
    /// <param name="loggerFactory">Logging; nothing is logged if null.</param>
    /// <param name="metrics">Metrics; a new registry if null.</param>
    /// <param name="timeProvider">Clock for every timeout; the system clock if null.</param>
    /// <param name="tokens">The host's token guard: MCP WebSocket upgrades must present its token. None required if null.</param>
    public ExaiFastServer(ServerOptions options, IWebSocketHandler? handler = null, ILoggerFactory? loggerFactory = null, ServerMetrics? metrics = null, TimeProvider? timeProvider = null, TokenGuard? tokens = null)
        : this(options, handler, loggerFactory, metrics, timeProvider, tokens is null ? null : new AccessGuard(tokens), endpoints: null)
    {
    }

    /// <summary>Creates a server whose endpoint table holds <paramref name="endpoints"/> besides /health, /ready and /metrics.</summary>
    /// <remarks>The composition root (<c>DaemonHost</c>) registers its endpoints here, e.g. <c>POST /mcp</c>. Paths are exact
    /// (no query), may not be a WebSocket path (<c>/</c>, <c>/ws</c>, <c>/echo</c>) nor a status path: ArgumentException.
    /// It also hands in the daemon's <paramref name="inbound"/> activity, which its memory monitor reads.</remarks>
    internal ExaiFastServer(ServerOptions options, IWebSocketHandler? handler, ILoggerFactory? loggerFactory, ServerMetrics? metrics, TimeProvider? timeProvider,
        AccessGuard? access, IReadOnlyDictionary<string, IHttpEndpoint>? endpoints, InboundActivity? inbound = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ExaiFast.Server");
        _ctx = new ServerContext(options, metrics ?? new ServerMetrics(), logger, timeProvider ?? TimeProvider.System, handler ?? EchoHandler.Instance, endpoints, inbound)
        {
            Access = access,
        };
    }

    /// <summary>
    /// The model providers as /ready shows them; /ready is 503 while no model can answer (every provider down: each
    /// deployment of it that has been used has its circuit breaker open).
    /// </summary>
    public Func<ModelReadiness>? Models
    {
        get => _ctx.Models;
        init => _ctx.Models = value;
    }

    /// <summary>The daemon's live status: /ready is 503 while its memory level is critical. None if null (always normal).</summary>
    public IDaemonStatus? Status
    {
        get => _ctx.Status;
        init => _ctx.Status = value;
    }

    /// <summary>The store behind threads and shared results (Redis), shown by /health and /ready; down never makes /ready fail.</summary>
    public IStoreStatus? Store
    {
        get => _ctx.Store;
        init => _ctx.Store = value;
    }

    /// <summary>The bound address (with the OS-assigned port when <see cref="ServerOptions.Port"/> was 0).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint as IPEndPoint;

    /// <summary>The server's metrics.</summary>
    public ServerMetrics Metrics => _ctx.Metrics;

    /// <summary>Open TCP connections (refused ones included until they are closed).</summary>
    public int ConnectionCount => _ctx.Registry.Count;

    /// <summary>Open WebSocket connections.</summary>
    public int WebSocketCount => _ctx.Registry.WebSocketCount;

    /// <summary>The open connections, at some moment.</summary>
    internal IEnumerable<TransportConnection> Connections => _ctx.Registry.Snapshot();

    /// <summary>
    /// Binds and listens; connections wait in the backlog until <see cref="StartAsync"/> accepts them. Idempotent. The
    /// host binds before it starts anything else, so that a taken port is one clear error and nothing has started yet.
    /// Throws <see cref="SocketException"/> if the address can't be bound.
    /// </summary>
    public void Bind()
    {
        if (_listener is not null)
        {
            return;
        }

        var options = _ctx.Options;
        var address = ResolveHost(options.Host);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            // One daemon per address. On Unix, .NET's ReuseAddress sets SO_REUSEPORT as well as SO_REUSEADDR, which let a
            // second daemon bind the same port and the kernel split new connections between the two (separate sessions,
            // results and threads). Left alone, .NET sets SO_REUSEADDR by itself, which is all a restarted daemon needs to
            // bind at once while its old connections sit in TIME_WAIT, and a second listener fails with EADDRINUSE.
            // Windows' SO_REUSEADDR would let another socket steal the port outright: there, ask for exclusive use.
            if (OperatingSystem.IsWindows())
            {
                listener.ExclusiveAddressUse = true;
            }

            listener.Bind(new IPEndPoint(address, options.Port));
            listener.Listen(1024);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
    }

    /// <summary>Binds (unless <see cref="Bind"/> did) and starts accepting. Throws <see cref="SocketException"/> if the address can't be bound.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        Bind();
        var listener = _listener!;
        _ctx.IsListening = true;
        ServerLog.Listening(_ctx.Logger, listener.LocalEndPoint!.ToString()!, _ctx.Options.Transport.ToString());
        _acceptLoop = AcceptLoopAsync(listener);
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting connections and reports not-ready; open connections are untouched. Idempotent.</summary>
    public void StopListening()
    {
        _ctx.BeginDrain();
        _ctx.IsListening = false;
        _listener?.Dispose();
    }

    /// <summary>
    /// Stops accepting, sends close 1001 to every WebSocket, waits until they finish or the drain deadline
    /// (<see cref="ServerOptions.DrainTimeout"/>, or <paramref name="cancellationToken"/>) passes, then aborts the rest.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        StopListening();
        if (_acceptLoop is null)
        {
            return; // never started (its port was taken, say): no connection to drain, nothing to report
        }

        await _acceptLoop.ConfigureAwait(false);

        ServerLog.Draining(_ctx.Logger, _ctx.Registry.Count, _ctx.Options.DrainTimeout.TotalSeconds);
        foreach (var connection in _ctx.Registry.Snapshot())
        {
            connection.BeginShutdown();
        }

        long deadline = _ctx.Time.GetTimestamp();
        while (_ctx.Registry.Count > 0 && _ctx.Time.GetElapsedTime(deadline) < _ctx.Options.DrainTimeout && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _ctx.Time, CancellationToken.None).ConfigureAwait(false);
        }

        int aborted = 0;
        foreach (var connection in _ctx.Registry.Snapshot())
        {
            connection.Abort();
            aborted++;
        }

        // Aborted connections finish their teardown promptly; wait a little so the counts settle.
        for (int i = 0; i < 100 && _ctx.Registry.Count > 0; i++)
        {
            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }

        ServerLog.Stopped(_ctx.Logger, aborted);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _ctx.Registry.DisposeAsync().ConfigureAwait(false);
        _ctx.ConnectionRate.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException || (ex is SocketException && _ctx.IsDraining))
            {
                return; // StopListening disposed the listener: the pending accept ends with OperationAborted
            }
            catch (SocketException ex)
            {
                // EMFILE and friends: log, back off a little, keep serving the connections we have.
                ServerLog.AcceptFailed(_ctx.Logger, ex);
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }

            TransportConnection connection;
            try
            {
                connection = new TransportConnection(socket, _ctx);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                socket.Dispose(); // the peer vanished between accept and setup
                continue;
            }

            ThreadPool.UnsafeQueueUserWorkItem(connection, preferLocal: false);
        }
    }

    private static IPAddress ResolveHost(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "0.0.0.0" => IPAddress.Any,
        "::" or "[::]" => IPAddress.IPv6Any,
        _ => IPAddress.Parse(host.Trim('[', ']')),
    };
}
