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
    public void Until_APastTimestamp_ReturnsAtOnce()
    {
        PreciseSleep.Until(Stopwatch.GetTimestamp() - Stopwatch.Frequency, TimeSpan.FromMilliseconds(5));
    }
}
