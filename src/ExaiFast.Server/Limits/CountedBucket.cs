using System.Threading.RateLimiting;

namespace ExaiFast.Server.Limits;

/// <summary>A token bucket that tells its <see cref="RateBuckets{TKey}"/> when it is made and when it is disposed, so
/// that the number of live partitions can be read (a gauge, and the proof that idle ones go).</summary>
/// <remarks>A replenishing limiter, and not self-replenishing: the partitioned limiter's timer then refills it, and
/// evicts it once it has been full for a while (<see cref="RateLimiter.IdleDuration"/>).</remarks>
internal sealed class CountedBucket : ReplenishingRateLimiter
{
    private readonly TokenBucketRateLimiter _inner;
    private readonly IPartitionCount _count;
    private int _disposed;

    public CountedBucket(TokenBucketRateLimiterOptions options, IPartitionCount count)
    {
        _inner = new TokenBucketRateLimiter(options);
        _count = count;
        count.Created();
    }

    public override TimeSpan? IdleDuration => _inner.IdleDuration;

    public override bool IsAutoReplenishing => _inner.IsAutoReplenishing;

    public override TimeSpan ReplenishmentPeriod => _inner.ReplenishmentPeriod;

    public override bool TryReplenish() => _inner.TryReplenish();

    public override RateLimiterStatistics? GetStatistics() => _inner.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => _inner.AttemptAcquire(permitCount);

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        _inner.AcquireAsync(permitCount, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _inner.Dispose();
            _count.Disposed();
        }

        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }
}
