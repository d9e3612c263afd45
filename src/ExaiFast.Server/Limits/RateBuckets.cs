using System.Threading.RateLimiting;
using ExaiFast.Server.Options;

namespace ExaiFast.Server.Limits;

/// <summary>One token bucket per key (a client address, a session), made on first use and dropped once idle.</summary>
/// <remarks>
/// <para>Built on <see cref="PartitionedRateLimiter.Create{TResource, TPartitionKey}"/>: its timer refills every
/// bucket every 100 ms and disposes a bucket that has been full (nothing taken, nothing to refill) for 10 s, so the
/// buckets alive are those of keys seen within about a bucket's refill time plus 10 s — memory follows recent clients,
/// not every address ever seen. <see cref="Partitions"/> counts them.</para>
/// <para>A minute's rate is spread over the minute: one token (or a few, above 600 a minute, as the timer ticks every
/// 100 ms) every 60 s / rate, so a refused client is told to come back in a fraction of the minute, not the whole of it.
/// Nothing waits for a token: a request is taken or refused at once.</para>
/// </remarks>
internal sealed class RateBuckets<TKey> : IPartitionCount, IDisposable
    where TKey : notnull
{
    private readonly PartitionedRateLimiter<TKey> _limiter;
    private readonly TokenBucketRateLimiterOptions _bucket;
    private int _partitions;

    public RateBuckets(RateLimit limit, IEqualityComparer<TKey>? comparer = null)
    {
        if (!limit.IsOn)
        {
            throw new ArgumentException("a limit that is off has no buckets", nameof(limit));
        }

        int tokensPerPeriod = (limit.PerMinute + 599) / 600;
        _bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.EffectiveBurst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromTicks(TimeSpan.TicksPerMinute * tokensPerPeriod / limit.PerMinute),
            QueueLimit = 0,
            AutoReplenishment = false,
        };
        Limit = limit;
        _limiter = PartitionedRateLimiter.Create<TKey, TKey>(key => RateLimitPartition.Get(key, _ => new CountedBucket(_bucket, this)), comparer);
    }

    /// <summary>The limit the buckets enforce.</summary>
    public RateLimit Limit { get; }

    /// <summary>Buckets alive now (one per key seen lately).</summary>
    public int Partitions => Volatile.Read(ref _partitions);

    /// <summary>Takes one token of <paramref name="key"/>'s bucket; false, with when one will be there, if it is empty.</summary>
    public bool TryTake(TKey key, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : _bucket.ReplenishmentPeriod;
        return false;
    }

    void IPartitionCount.Created() => Interlocked.Increment(ref _partitions);

    void IPartitionCount.Disposed() => Interlocked.Decrement(ref _partitions);

    public void Dispose() => _limiter.Dispose();
}
