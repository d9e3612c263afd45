using ExaiFast.Server.Logging;

namespace ExaiFast.Server.Tests;

/// <summary>An error a client can provoke at will reaches the log a few times a minute, with the count of those left out.</summary>
public class LogRateLimitTests
{
    [Fact]
    public void AFewAMinutePass_TheRestAreCounted_AndTheNextMinuteTellsHowMany()
    {
        var limit = new LogRateLimit(perMinute: 3);
        long start = 1_000_000;
        for (int i = 0; i < 3; i++)
        {
            Assert.True(limit.TryEnter(start + i, out long none));
            Assert.Equal(0, none);
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.False(limit.TryEnter(start + 100 + i, out _));
        }

        Assert.False(limit.TryEnter(start + 59_999, out _));
        Assert.True(limit.TryEnter(start + 60_000, out long suppressed));
        Assert.Equal(51, suppressed);
        Assert.True(limit.TryEnter(start + 60_001, out long since));
        Assert.Equal(0, since);
    }
}
