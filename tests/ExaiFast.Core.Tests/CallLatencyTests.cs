using ExaiFast.Core.Dispatch;

namespace ExaiFast.Core.Tests;

/// <summary>The dashboard's latency buckets: each time lands in the first bucket whose bound holds it.</summary>
public class CallLatencyTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(-5, 0)]
    [InlineData(double.NaN, 0)]
    [InlineData(1, 0)]
    [InlineData(1.0001, 1)]
    [InlineData(1.414, 1)]
    [InlineData(1.415, 2)]
    [InlineData(2, 2)]
    [InlineData(1000, 20)] // 2^(20/2) = 1024
    [InlineData(1024, 20)]
    [InlineData(1025, 21)]
    [InlineData(4194304, 44)] // the last bound, 2^22 ms
    [InlineData(4194305, 45)] // above it: the overflow bucket
    [InlineData(double.PositiveInfinity, 45)]
    public void ATimeLandsInTheFirstBucketWhoseBoundHoldsIt(double ms, int bucket)
    {
        Assert.Equal(bucket, CallLatency.BucketOf(ms));
    }

    [Fact]
    public void EveryBoundHoldsItselfAndNotTheNextBucketsValues()
    {
        for (int i = 0; i < CallLatency.BoundedBuckets; i++)
        {
            double bound = CallLatency.BoundsMs[i];
            Assert.Equal(i, CallLatency.BucketOf(bound));
            Assert.Equal(i + 1, CallLatency.BucketOf(bound * 1.0001));
        }
    }

    [Fact]
    public void ReadCountsEachRecordedTimeOnce()
    {
        var latency = new CallLatency();
        latency.Record(0.5);
        latency.Record(3);
        latency.Record(3.5);
        latency.Record(1e9);
        long[] counts = latency.Read();
        Assert.Equal(CallLatency.BoundedBuckets + 1, counts.Length);
        Assert.Equal(1, counts[0]);
        Assert.Equal(2, counts[4]); // (2.83, 4]
        Assert.Equal(1, counts[^1]);
        Assert.Equal(4, counts.Sum());
    }
}
