using System.Diagnostics;

namespace ExaiFast.Load.Tests;

public class PreciseSleepTests
{
    [Fact]
    public void Until_NeverReturnsEarly()
    {
        for (int i = 0; i < 20; i++)
        {
            long target = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 2000; // 0.5 ms ahead
            PreciseSleep.Until(target, TimeSpan.FromMilliseconds(5));
            Assert.True(Stopwatch.GetTimestamp() >= target);
        }
    }

    [Fact]
    public void Until_APastTimestamp_ReturnsWithoutSleeping()
    {
        // A slice of 10 s: one sleep of it, or of the second the timestamp lies in the past, would show.
        long started = Stopwatch.GetTimestamp();
        PreciseSleep.Until(started - Stopwatch.Frequency, TimeSpan.FromSeconds(10));
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1), $"took {Stopwatch.GetElapsedTime(started)}");
    }
}
