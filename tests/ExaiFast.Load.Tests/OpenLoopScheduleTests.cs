using System.Diagnostics;

namespace ExaiFast.Load.Tests;

public class OpenLoopScheduleTests
{
    private const long Start = 1_000_000;

    [Fact]
    public void Requests_AreEvenlySpaced_AtTheRate()
    {
        var schedule = new OpenLoopSchedule(1000, Start, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Equal(Start, schedule.IntendedTimestamp(0));
        Assert.Equal(Start + Stopwatch.Frequency / 1000, schedule.IntendedTimestamp(1));
        Assert.Equal(Start + Stopwatch.Frequency / 2, schedule.IntendedTimestamp(500));
    }

    [Theory]
    [InlineData(1000.0, 0.5, 2.0)]
    [InlineData(333.3, 0.25, 1.0)]
    [InlineData(12345.6, 0.0, 0.3)]
    public void TheSchedule_EndsWithinWarmupPlusDuration(double rate, double warmup, double duration)
    {
        var schedule = new OpenLoopSchedule(rate, Start, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(duration));
        long end = Start + (long)((warmup + duration) * Stopwatch.Frequency);
        Assert.True(schedule.IntendedTimestamp(schedule.End - 1) < end);
        Assert.True(schedule.IntendedTimestamp(schedule.End) >= end - 1); // none left out
        Assert.True(schedule.IntendedTimestamp(schedule.FirstMeasured) >= Start + (long)(warmup * Stopwatch.Frequency) - 1);
        Assert.Equal(rate * duration, schedule.MeasuredCount, 1.0);
    }

    [Fact]
    public void DueBy_CountsTheRequestsWhoseTimeHasCome()
    {
        var schedule = new OpenLoopSchedule(777, Start, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(0, schedule.DueBy(Start - 1));
        Assert.Equal(1, schedule.DueBy(Start));
        for (long k = 1; k < schedule.End; k += 37)
        {
            long due = schedule.IntendedTimestamp(k);
            Assert.Equal(k + 1, schedule.DueBy(due));
            Assert.Equal(k, schedule.DueBy(due - 1));
        }

        Assert.Equal(schedule.End, schedule.DueBy(long.MaxValue / 2));
    }

    [Fact]
    public void DueBy_NeverGoesBackwards()
    {
        var schedule = new OpenLoopSchedule(50_000, Start, TimeSpan.Zero, TimeSpan.FromSeconds(0.1));
        long previous = 0;
        for (long t = Start - 100; t < Start + Stopwatch.Frequency / 5; t += Stopwatch.Frequency / 100_003)
        {
            long due = schedule.DueBy(t);
            Assert.True(due >= previous);
            previous = due;
        }

        Assert.Equal(schedule.End, previous);
    }

    [Fact]
    public void WarmupRequests_AreNotMeasured()
    {
        var schedule = new OpenLoopSchedule(100, Start, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        Assert.Equal(100, schedule.FirstMeasured);
        Assert.Equal(200, schedule.End);
        Assert.False(schedule.IsMeasured(99));
        Assert.True(schedule.IsMeasured(100));
        Assert.True(schedule.IsMeasured(199));
        Assert.False(schedule.IsMeasured(200));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    public void ARateThatIsNotPositive_IsRejected(double rate)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OpenLoopSchedule(rate, Start, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
    }
}
