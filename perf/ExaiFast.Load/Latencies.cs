using System.Diagnostics;
using HdrHistogram;

namespace ExaiFast.Load;

/// <summary>
/// A latency distribution in <see cref="Stopwatch"/> ticks (HdrHistogram: 3 significant digits up to 60 s) and the
/// percentiles every mode prints, in microseconds.
/// </summary>
/// <remarks>One writer at a time: each connection records into its own and the runner merges them at the end.</remarks>
internal sealed class Latencies
{
    private static readonly long Highest = Stopwatch.Frequency * 60;

    private readonly LongHistogram _histogram = new(Highest, 3);

    public long Count => _histogram.TotalCount;

    /// <summary>Records <paramref name="ticks"/> (clamped into 1 tick … 60 s: a stall longer than that is still a stall).</summary>
    public void Record(long ticks) => _histogram.RecordValue(Math.Clamp(ticks, 1, Highest));

    public void Add(Latencies other) => _histogram.Add(other._histogram);

    /// <summary>The value at <paramref name="percentile"/> (0–100) in microseconds; 0 when nothing was recorded.</summary>
    public double Micros(double percentile) =>
        Count == 0 ? 0 : _histogram.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;

    public double MaxMicros => Count == 0 ? 0 : _histogram.GetMaxValue() * 1e6 / Stopwatch.Frequency;

    public static Latencies Merge(IEnumerable<Latencies> parts)
    {
        var total = new Latencies();
        foreach (var part in parts)
        {
            total.Add(part);
        }

        return total;
    }
}
