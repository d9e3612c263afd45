namespace ExaiFast.Core.Dispatch;

/// <summary>
/// Ended calls' time from admission to result (queue and run), counted in buckets fine enough for percentiles: the
/// dashboard reads the counts and takes percentiles over any window by subtracting two readings.
/// </summary>
/// <remarks>
/// Bucket <c>i</c> holds times up to <c>2^(i/2)</c> ms (above the previous bound), from 1 ms to about 70 minutes, and
/// the last one everything longer: a value is placed within a factor of √2, about 41%, so a percentile read from the
/// buckets is within that of the true one. Why not prometheus-net's histogram: it offers no way to read its buckets, and
/// its buckets (×4) are too coarse for percentiles anyway. One interlocked increment per call; reads are racy by a few
/// calls at most, which a percentile does not notice. Thread-safe.
/// </remarks>
public sealed class CallLatency
{
    /// <summary>Buckets with an upper bound; one more holds the times above the last bound.</summary>
    public const int BoundedBuckets = 45;

    private const double MaxBoundMs = 4_194_304; // 2^((BoundedBuckets - 1) / 2)

    private readonly long[] _counts = new long[BoundedBuckets + 1];

    /// <summary>The buckets' upper bounds in milliseconds, ascending (the overflow bucket has none).</summary>
    public static IReadOnlyList<double> BoundsMs { get; } = [.. Enumerable.Range(0, BoundedBuckets).Select(i => Math.Pow(2, i / 2.0))];

    /// <summary>Counts one ended call that took <paramref name="ms"/> milliseconds.</summary>
    public void Record(double ms) => Interlocked.Increment(ref _counts[BucketOf(ms)]);

    /// <summary>The counts so far, one per bucket (<see cref="BoundedBuckets"/> + 1).</summary>
    public long[] Read()
    {
        var counts = new long[_counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref _counts[i]);
        }

        return counts;
    }

    /// <summary>The bucket of a time: the first whose bound is at least <paramref name="ms"/>.</summary>
    internal static int BucketOf(double ms)
    {
        if (!(ms > 1)) // NaN and negatives too: nothing takes less than nothing
        {
            return 0;
        }

        if (ms > MaxBoundMs) // infinity too, which no int holds
        {
            return BoundedBuckets;
        }

        // 2^(i/2) >= ms  <=>  i >= 2·log2(ms); the bound of the index found is checked, as rounding may land one off.
        int i = (int)Math.Ceiling(2 * Math.Log2(ms));
        if (i > 0 && Math.Pow(2, (i - 1) / 2.0) >= ms)
        {
            i--;
        }

        return i;
    }
}
