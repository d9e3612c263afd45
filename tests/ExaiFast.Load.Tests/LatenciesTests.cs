using System.Diagnostics;

namespace ExaiFast.Load.Tests;

public class LatenciesTests
{
    private static long Micros(double us) => (long)(us * Stopwatch.Frequency / 1e6);

    [Fact]
    public void Percentiles_OfOneToATenThousandMicroseconds_AreTheRankedValues()
    {
        var latencies = new Latencies();
        for (int us = 1; us <= 10_000; us++)
        {
            latencies.Record(Micros(us));
        }

        // HdrHistogram keeps 3 significant digits: each value within 0.1%.
        Assert.Equal(10_000, latencies.Count);
        Assert.Equal(5_000, latencies.Micros(50), 5_000 * 0.001);
        Assert.Equal(9_000, latencies.Micros(90), 9_000 * 0.001);
        Assert.Equal(9_900, latencies.Micros(99), 9_900 * 0.001);
        Assert.Equal(9_990, latencies.Micros(99.9), 9_990 * 0.001);
        Assert.Equal(10_000, latencies.MaxMicros, 10_000 * 0.001);
    }

    [Fact]
    public void OneSlowCallInAThousand_ShowsAtP99_9AndMax_NotAtP99()
    {
        var latencies = new Latencies();
        for (int i = 0; i < 999; i++)
        {
            latencies.Record(Micros(100));
        }

        latencies.Record(Micros(50_000));
        Assert.Equal(100, latencies.Micros(99), 0.1);
        Assert.Equal(50_000, latencies.Micros(99.95), 50.0);
        Assert.Equal(50_000, latencies.MaxMicros, 50.0);
    }

    [Fact]
    public void Empty_ReportsZero()
    {
        var latencies = new Latencies();
        Assert.Equal(0, latencies.Count);
        Assert.Equal(0, latencies.Micros(50));
        Assert.Equal(0, latencies.MaxMicros);
    }

    [Fact]
    public void Merge_AddsTheCountsOfEveryPart()
    {
        var a = new Latencies();
        var b = new Latencies();
        a.Record(Micros(10));
        b.Record(Micros(20));
        b.Record(Micros(30));
        var total = Latencies.Merge([a, b]);
        Assert.Equal(3, total.Count);
        Assert.Equal(20, total.Micros(50), 0.1);
    }

    [Fact]
    public void Record_ClampsNonPositiveAndBeyondSixtySeconds()
    {
        var latencies = new Latencies();
        latencies.Record(0);
        latencies.Record(-5);
        latencies.Record(Stopwatch.Frequency * 3600);
        Assert.Equal(3, latencies.Count);
        Assert.Equal(60e6, latencies.MaxMicros, 60e6 * 0.001);
    }
}
