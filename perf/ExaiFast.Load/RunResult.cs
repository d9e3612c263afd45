using System.Globalization;
using HdrHistogram;

namespace ExaiFast.Load;

/// <summary>Round trips of one run: throughput and the latency distribution.</summary>
internal sealed record RunResult(string Label, int Connections, int Size, long RoundTrips, TimeSpan Elapsed, HistogramBase Histogram)
{
    public double PerSecond => RoundTrips / Elapsed.TotalSeconds;

    private double Micros(double percentile) => Histogram.GetValueAtPercentile(percentile) / (double)OutputScalingFactor.TimeStampToMicroseconds;

    public string ToMarkdownRow() => string.Create(CultureInfo.InvariantCulture,
        $"| {Label} | {Connections} | {Size} | {PerSecond:N0} | {Micros(50):N0} | {Micros(99):N0} | {Micros(99.9):N0} |");

    public static string MarkdownHeader => "| target | conns | bytes | round trips/s | p50 µs | p99 µs | p99.9 µs |\n|---|---:|---:|---:|---:|---:|---:|";
}
