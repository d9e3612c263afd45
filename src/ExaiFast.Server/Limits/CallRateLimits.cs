using System.Globalization;
using System.Net;
using ExaiFast.Core.Calls;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Options;

namespace ExaiFast.Server.Limits;

/// <summary>The rates of tool calls per session and per client address (<c>EXAIFAST_RATE_CALLS_PER_SESSION</c>,
/// <c>EXAIFAST_RATE_CALLS_PER_IP</c>), checked by every front door before a call reaches the dispatcher.</summary>
/// <remarks>
/// One instance for every door, so that a client's exai-ws and MCP calls share its address's bucket. Every call request
/// counts, whatever becomes of it after: one refused by the session's limit has still been asked for by its address.
/// A refusal is <c>OVER_CAPACITY</c> with <c>retry_after</c>, the shape the in-flight limits already use.
/// </remarks>
internal sealed class CallRateLimits : IDisposable
{
    public const string PerIpLabel = "calls_per_ip";
    public const string PerSessionLabel = "calls_per_session";

    private readonly RateBuckets<IPAddress>? _perIp;
    private readonly RateBuckets<string>? _perSession;
    private readonly bool _limitLoopback;
    private readonly Prometheus.Counter.Child _refusedPerIp;
    private readonly Prometheus.Counter.Child _refusedPerSession;

    public CallRateLimits(ServerOptions server, ServerMetrics metrics)
    {
        var options = server.RateLimits;
        _limitLoopback = options.LimitLoopback;
        _refusedPerIp = metrics.RateLimited.WithLabels(PerIpLabel);
        _refusedPerSession = metrics.RateLimited.WithLabels(PerSessionLabel);
        if (options.CallsPerIp.IsOn && ClientAddress.CanLimit(server.Host, options.LimitLoopback))
        {
            var buckets = new RateBuckets<IPAddress>(options.CallsPerIp);
            _perIp = buckets;
            var gauge = metrics.RateLimitBuckets.WithLabels(PerIpLabel);
            metrics.Registry.AddBeforeCollectCallback(() => gauge.Set(buckets.Partitions));
        }

        if (options.CallsPerSession.IsOn)
        {
            var buckets = new RateBuckets<string>(options.CallsPerSession, StringComparer.Ordinal);
            _perSession = buckets;
            var gauge = metrics.RateLimitBuckets.WithLabels(PerSessionLabel);
            metrics.Registry.AddBeforeCollectCallback(() => gauge.Set(buckets.Partitions));
        }
    }

    /// <summary>Buckets alive per address and per session.</summary>
    public (int PerIp, int PerSession) Partitions => (_perIp?.Partitions ?? 0, _perSession?.Partitions ?? 0);

    /// <summary>Counts a call of <paramref name="sessionId"/> (null: a session of one request, not counted) from
    /// <paramref name="address"/> (null: no address, as in stdio); the refusal to answer it with when over a limit, else null.</summary>
    public CallError? TryAdmit(IPAddress? address, string? sessionId)
    {
        if (_perSession is not null && sessionId is not null && !_perSession.TryTake(sessionId, out var sessionWait))
        {
            _refusedPerSession.Inc();
            return Refusal("this session", _perSession.Limit, sessionWait);
        }

        if (_perIp is not null && address is not null)
        {
            var key = ClientAddress.KeyOf(address);
            if (!ClientAddress.IsExempt(key, _limitLoopback) && !_perIp.TryTake(key, out var addressWait))
            {
                _refusedPerIp.Inc();
                return Refusal("this client address", _perIp.Limit, addressWait);
            }
        }

        return null;
    }

    public void Dispose()
    {
        _perIp?.Dispose();
        _perSession?.Dispose();
    }

    private static CallError Refusal(string who, RateLimit limit, TimeSpan wait) =>
        new(ErrorCodes.OverCapacity,
            string.Create(CultureInfo.InvariantCulture, $"{who} is over its call rate limit ({limit.PerMinute} a minute, {limit.EffectiveBurst} at once)"),
            RetryAfterSeconds(wait));

    /// <summary>Seconds to wait, rounded up to the millisecond: never 0, which would invite an immediate retry.</summary>
    public static double RetryAfterSeconds(TimeSpan wait) => Math.Max(0.001, Math.Ceiling(wait.TotalMilliseconds) / 1000);
}
