using System.Collections.Concurrent;
using System.Net;
using ExaiFast.Server.Options;

namespace ExaiFast.Server.Connections;

/// <summary>Every live connection, the counts behind the connection limits, and the timeout heartbeat.</summary>
/// <remarks>
/// Timeouts come from one periodic heartbeat that compares timestamps (Kestrel's TimeoutControl), not from a
/// timer or CancellationTokenSource per read. Limit bookkeeping takes a lock: it runs once per accepted connection, never per request or frame.
/// </remarks>
internal sealed class ConnectionRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, TransportConnection> _connections = new();
    private readonly Dictionary<IPAddress, int> _perIp = [];
    private readonly Lock _limitLock = new();
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly PeriodicTimer _timer;
    private readonly Task _heartbeat;
    private int _webSockets;
    private int _admitted;

    public ConnectionRegistry(ServerOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;

        // Tick often enough that the shortest timeout is honoured within a quarter of itself (tests use short ones).
        var shortest = new[]
        {
            options.HandshakeTimeout, options.PingInterval, options.PingTimeout, options.CloseTimeout, options.KeepAliveTimeout,
            options.RequestBodyTimeout, options.MinRequestBodyRateGrace, options.EventStreamKeepAlive, options.InboundBudgetTimeout,
        }.Min();
        var period = TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 4, 10, 1000));
        _timer = new PeriodicTimer(period, time);
        _heartbeat = RunHeartbeatAsync();
    }

    public int Count => _connections.Count;

    public int WebSocketCount => Volatile.Read(ref _webSockets);

    public void Add(TransportConnection connection) => _connections[connection.Id] = connection;

    public void Remove(TransportConnection connection) => _connections.TryRemove(connection.Id, out _);

    public IEnumerable<TransportConnection> Snapshot() => _connections.Values;

    /// <summary>Counts a new connection against the limits, or says which limit it would break.</summary>
    /// <remarks>
    /// Called at accept, before a byte is read: a connection still sending its head, idle between keep-alive requests or
    /// serving an HTTP request holds a slot like a WebSocket does, so sockets that trickle or idle cannot crowd out real
    /// clients beyond the limits. An upgrade keeps the slot it already holds (counted once).
    /// </remarks>
    public ConnectionRefusal TryAdmit(IPAddress ip)
    {
        lock (_limitLock)
        {
            if (_admitted >= _options.MaxConnections)
            {
                return ConnectionRefusal.MaxConnections;
            }

            _perIp.TryGetValue(ip, out int n);
            if (n >= _options.MaxConnectionsPerIp)
            {
                return ConnectionRefusal.MaxConnectionsPerIp;
            }

            _perIp[ip] = n + 1;
            _admitted++;
            return ConnectionRefusal.None;
        }
    }

    /// <summary>Gives back the slot of an admitted connection.</summary>
    public void Release(IPAddress ip)
    {
        lock (_limitLock)
        {
            _admitted--;
            if (_perIp.TryGetValue(ip, out int n))
            {
                if (n <= 1)
                {
                    _perIp.Remove(ip);
                }
                else
                {
                    _perIp[ip] = n - 1;
                }
            }
        }
    }

    /// <summary>An admitted connection completed a WebSocket upgrade.</summary>
    public void WebSocketOpened() => Interlocked.Increment(ref _webSockets);

    /// <summary>An upgraded connection ended.</summary>
    public void WebSocketClosed() => Interlocked.Decrement(ref _webSockets);

    private async Task RunHeartbeatAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
            {
                long now = _time.GetTimestamp();
                foreach (var connection in _connections.Values)
                {
                    connection.OnHeartbeat(now);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // timer disposed: shutting down
        }
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _heartbeat.ConfigureAwait(false);
    }
}
