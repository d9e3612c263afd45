using System.Globalization;
using System.Text.Json;

namespace ExaiFast.Load;

/// <summary>What one run measured: answers by kind and their latencies, what never got an answer, and the CPU and memory it cost.</summary>
internal sealed record RunResult
{
    public required string Label { get; init; }

    public required string Mode { get; init; }

    public required int Connections { get; init; }

    public required int Size { get; init; }

    /// <summary>The measured span (wall clock).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Latencies of accepted requests (for idle: connect + hello).</summary>
    public required Latencies Accepted { get; init; }

    /// <summary>Latencies of refusals (OVER_CAPACITY).</summary>
    public required Latencies Refused { get; init; }

    public long Failed { get; init; }

    /// <summary>Open loop: requests not sent because the connection already had --max-outstanding waiting.</summary>
    public long Dropped { get; init; }

    /// <summary>Open loop: requests sent in the measured span that got no answer before the drain deadline.</summary>
    public long Lost { get; init; }

    /// <summary>Open loop: the arrival rate asked for (requests/s).</summary>
    public double? OfferedRate { get; init; }

    /// <summary>Open loop: how late requests went out after their intended time. A large lag means the generator, not the server, fell behind.</summary>
    public Latencies? SendLag { get; init; }

    /// <summary>Open loop with a rate relative to capacity: the closed-loop probe's accepted calls/s.</summary>
    public double? ProbedCapacity { get; init; }

    /// <summary>Answers (accepted, refused, failed) received per second in the measured span.</summary>
    public required double AnsweredPerSecond { get; init; }

    public TimeSpan? ServerCpu { get; init; }

    public required TimeSpan GeneratorCpu { get; init; }

    /// <summary>Idle: the server's RSS before the connections and with them all open.</summary>
    public long? ServerRssBeforeKiB { get; init; }

    public long? ServerRssAfterKiB { get; init; }

    public double AcceptedPerSecond => Accepted.Count / Elapsed.TotalSeconds;

    public double RefusedPerSecond => Refused.Count / Elapsed.TotalSeconds;

    /// <summary>Server CPU per answer in µs (per connection for idle), when a --server-pid was given.</summary>
    public double? ServerCpuMicrosPerCall => ServerCpu is { } cpu && Answers > 0 ? cpu.TotalMicroseconds / Answers : null;

    public double? GeneratorCpuMicrosPerCall => Answers > 0 ? GeneratorCpu.TotalMicroseconds / Answers : null;

    public double? RssKiBPerConnection => ServerRssAfterKiB - ServerRssBeforeKiB is long grown ? grown / (double)Connections : null;

    private long Answers => Accepted.Count + Refused.Count + Failed;

    public static string MarkdownHeader =>
        "| target | conns | bytes | calls/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | server CPU µs/call | generator CPU µs/call | notes |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|";

    /// <summary>One row for accepted calls, and a second for refusals when there were any.</summary>
    public string ToMarkdown()
    {
        string row = Row(Label, AcceptedPerSecond, Accepted, Notes());
        return Refused.Count == 0 ? row : row + "\n" + Row(Label + " (refused)", RefusedPerSecond, Refused, "OVER_CAPACITY answers");
    }

    private string Row(string label, double perSecond, Latencies latencies, string notes) => string.Create(CultureInfo.InvariantCulture,
        $"| {label} | {Connections} | {Size} | {perSecond:N0} | {latencies.Micros(50):N0} | {latencies.Micros(90):N0} | {latencies.Micros(99):N0} | {latencies.Micros(99.9):N0} | {latencies.MaxMicros:N0} | {Format(ServerCpuMicrosPerCall)} | {Format(GeneratorCpuMicrosPerCall)} | {notes} |");

    private string Notes()
    {
        var notes = new List<string>();
        if (Mode == "idle")
        {
            notes.Add(RssKiBPerConnection is double kib
                ? string.Create(CultureInfo.InvariantCulture, $"server RSS {ServerRssBeforeKiB:N0} → {ServerRssAfterKiB:N0} KiB: {kib:N2} KiB/connection; latency is connect + hello")
                : "latency is connect + hello (no --server-pid: no RSS)");
        }

        if (OfferedRate is double offered)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"open loop: offered {offered:N0}/s{(ProbedCapacity is double c ? $" ({offered / c:0.##}× probed {c:N0}/s)" : string.Empty)}, answered {AnsweredPerSecond:N0}/s"));
            notes.Add($"dropped {Dropped:N0}, lost {Lost:N0}");
            if (SendLag is { } lag)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"send lag p50 {lag.Micros(50):N0} µs, p99 {lag.Micros(99):N0} µs{(lag.Micros(50) > 1000 ? " (GENERATOR-BOUND)" : string.Empty)}"));
            }
        }

        if (Failed > 0)
        {
            notes.Add($"{Failed:N0} FAILED");
        }

        return string.Join("; ", notes);
    }

    private static string Format(double? value) => value is double v ? v.ToString("N1", CultureInfo.InvariantCulture) : "–";

    /// <summary>One JSON object on one line, for scripts.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("label", Label);
            json.WriteString("mode", Mode);
            json.WriteNumber("connections", Connections);
            json.WriteNumber("size", Size);
            json.WriteNumber("elapsed_s", Math.Round(Elapsed.TotalSeconds, 3));
            json.WriteNumber("calls_per_s", Math.Round(AcceptedPerSecond, 1));
            json.WriteNumber("answered_per_s", Math.Round(AnsweredPerSecond, 1));
            json.WriteNumber("ok", Accepted.Count);
            json.WriteNumber("refused", Refused.Count);
            json.WriteNumber("failed", Failed);
            json.WriteNumber("dropped", Dropped);
            json.WriteNumber("lost", Lost);
            WriteNullable(json, "offered_per_s", OfferedRate);
            WriteNullable(json, "probed_capacity_per_s", ProbedCapacity);
            WriteLatencies(json, "latency_us", Accepted);
            WriteLatencies(json, "refused_latency_us", Refused);
            if (SendLag is { } lag)
            {
                WriteLatencies(json, "send_lag_us", lag);
            }
            WriteNullable(json, "server_cpu_us_per_call", ServerCpuMicrosPerCall);
            WriteNullable(json, "generator_cpu_us_per_call", GeneratorCpuMicrosPerCall);
            WriteNullable(json, "server_cpu_s", ServerCpu?.TotalSeconds);
            json.WriteNumber("generator_cpu_s", Math.Round(GeneratorCpu.TotalSeconds, 3));
            WriteNullable(json, "server_rss_before_kib", ServerRssBeforeKiB);
            WriteNullable(json, "server_rss_after_kib", ServerRssAfterKiB);
            WriteNullable(json, "rss_kib_per_connection", RssKiBPerConnection);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteLatencies(Utf8JsonWriter json, string name, Latencies latencies)
    {
        json.WriteStartObject(name);
        json.WriteNumber("p50", Math.Round(latencies.Micros(50), 1));
        json.WriteNumber("p90", Math.Round(latencies.Micros(90), 1));
        json.WriteNumber("p99", Math.Round(latencies.Micros(99), 1));
        json.WriteNumber("p99_9", Math.Round(latencies.Micros(99.9), 1));
        json.WriteNumber("max", Math.Round(latencies.MaxMicros, 1));
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double v)
        {
            json.WriteNumber(name, Math.Round(v, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, long? value)
    {
        if (value is long v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
