using System.Net;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Options;

namespace ExaiFast.Server.Limits;

/// <summary>The rate of new connections per client address (<c>EXAIFAST_RATE_CONNECTIONS_PER_IP</c>), checked at accept.</summary>
/// <remarks>Checked before anything is read, like the connection caps: a refused socket gets its 429 at once and cannot
/// hold the server for a handshake timeout. An open connection is never touched by it; its calls have limits of their own.</remarks>
internal sealed class ConnectionRateLimit : IDisposable
{
    public const string Label = "connections_per_ip";

    private readonly RateBuckets<IPAddress>? _perIp;
    private readonly bool _limitLoopback;

    public ConnectionRateLimit(ServerOptions server, ServerMetrics metrics)
    {
        var options = server.RateLimits;
        _limitLoopback = options.LimitLoopback;
        metrics.RateLimited.WithLabels(Label); // exported as 0 from the start, so that a rate over it is defined before the first refusal
        if (options.ConnectionsPerIp.IsOn && ClientAddress.CanLimit(server.Host, options.LimitLoopback))
        {
            var buckets = new RateBuckets<IPAddress>(options.ConnectionsPerIp);
            _perIp = buckets;
            var gauge = metrics.RateLimitBuckets.WithLabels(Label);
            metrics.Registry.AddBeforeCollectCallback(() => gauge.Set(buckets.Partitions));
        }
    }

    /// <summary>Buckets alive (client addresses seen lately); 0 when the limit is off.</summary>
    public int Partitions => _perIp?.Partitions ?? 0;

    /// <summary>Counts a new connection from <paramref name="address"/>; false, with when to come back, over the limit.</summary>
    public bool TryOpen(IPAddress address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_perIp is null)
        {
            return true;
        }

        var key = ClientAddress.KeyOf(address);
        return ClientAddress.IsExempt(key, _limitLoopback) || _perIp.TryTake(key, out retryAfter);
    }

    public void Dispose() => _perIp?.Dispose();
}
