using System.Diagnostics;

namespace ExaiFast.Load;

/// <summary>
/// A constant arrival rate: request k is due at <c>start + k / rate</c>, whatever happened to the ones before it.
/// Latency counts from this intended time, not from when the request was actually sent, so a stalled server (or a
/// generator that fell behind) shows in the percentiles instead of slowing the arrivals (coordinated omission).
/// </summary>
internal sealed class OpenLoopSchedule
{
    private readonly double _ticksPerRequest;

    /// <param name="rate">Requests per second, all connections together.</param>
    /// <param name="start">Stopwatch timestamp of request 0.</param>
    /// <param name="warmup">Requests due in this first span are sent but not measured.</param>
    /// <param name="duration">The measured span after the warm-up; the schedule ends with it.</param>
    public OpenLoopSchedule(double rate, long start, TimeSpan warmup, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        Rate = rate;
        Start = start;
        _ticksPerRequest = Stopwatch.Frequency / rate;
        FirstMeasured = (long)Math.Ceiling(warmup.TotalSeconds * rate);
        End = (long)Math.Ceiling((warmup + duration).TotalSeconds * rate);
    }

    public double Rate { get; }

    public long Start { get; }

    /// <summary>The first request of the measured span.</summary>
    public long FirstMeasured { get; }

    /// <summary>One past the last request.</summary>
    public long End { get; }

    /// <summary>Requests in the measured span.</summary>
    public long MeasuredCount => End - FirstMeasured;

    public bool IsMeasured(long sequence) => sequence >= FirstMeasured && sequence < End;

    /// <summary>The Stopwatch timestamp at which request <paramref name="sequence"/> is due.</summary>
    public long IntendedTimestamp(long sequence) => Start + (long)(sequence * _ticksPerRequest);

    /// <summary>How many requests are due at <paramref name="timestamp"/> (requests 0 … n-1), at most <see cref="End"/>.</summary>
    public long DueBy(long timestamp)
    {
        if (timestamp < Start)
        {
            return 0;
        }

        long n = (long)Math.Floor((timestamp - Start) / _ticksPerRequest) + 1;
        // Rounding of the double: request n-1 must really be due, and request n must not.
        while (n > 0 && IntendedTimestamp(n - 1) > timestamp)
        {
            n--;
        }

        while (n < End && IntendedTimestamp(n) <= timestamp)
        {
            n++;
        }

        return Math.Min(n, End);
    }
}
