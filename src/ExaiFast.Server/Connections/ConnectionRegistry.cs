using System.Collections.Concurrent;
using System.Net;
using ExaiFast.Core.Options;

namespace ExaiFast.Server.Connections;

/// <summary>Every live connection, the WebSocket counts behind the connection limits, and the timeout heartbeat.</summary>
/// <remarks>
/// Timeouts come from one periodic heartbeat that compares timestamps (Kestrel's TimeoutControl), not from a
/// timer or CancellationTokenSource per read. Limit bookkeeping takes a lock: it runs once per upgrade, never per frame.
/// </remarks>
internal sealed class ConnectionRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly Dictionary<IPAddress, int> _perIp = [];
    private readonly Lock _limitLock = new();
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly PeriodicTimer _timer;
    private readonly Task _heartbeat;
    private int _webSockets;

    public ConnectionRegistry(ServerOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;

        // Tick often enough that the shortest timeout is honoured within a quarter of itself (tests use short ones).
        var shortest = new[] { options.HandshakeTimeout, options.PingInterval, options.PingTimeout, options.CloseTimeout }.Min();
        var period = TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 4, 10, 1000));
        _timer = new PeriodicTimer(period, time);
        _heartbeat = RunHeartbeatAsync();
    }

    public int Count => _connections.Count;

    public int WebSocketCount => Volatile.Read(ref _webSockets);

    public void Add(Connection connection) => _connections[connection.Id] = connection;

    public void Remove(Connection connection) => _connections.TryRemove(connection.Id, out _);

    public IEnumerable<Connection> Snapshot() => _connections.Values;

    /// <summary>Counts a new WebSocket against the limits, or says which limit it would break.</summary>
    public string? TryAdmitWebSocket(IPAddress ip)
    {
        lock (_limitLock)
        {
            if (_webSockets >= _options.MaxConnections)
            {
                return "max_connections";
            }

            _perIp.TryGetValue(ip, out int n);
            if (n >= _options.MaxConnectionsPerIp)
            {
                return "max_connections_per_ip";
            }

            _perIp[ip] = n + 1;
            _webSockets++;
            return null;
        }
    }

    public void ReleaseWebSocket(IPAddress ip)
    {
        lock (_limitLock)
        {
            _webSockets--;
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
