using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace ExaiFast.Benchmarks;

/// <summary>
/// In-process allocation profile: the runtime's GCAllocationTick events (one sample about every 100 KB allocated,
/// naming the type that crossed the mark), aggregated by type. Sampled, so read it as proportions.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }

        int typeIndex = e.PayloadNames!.IndexOf("TypeName");
        int amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        if (typeIndex < 0 || amountIndex < 0)
        {
            return;
        }

        _bytesByType.AddOrUpdate((string)e.Payload[typeIndex]!, Convert.ToInt64(e.Payload[amountIndex]), (_, v) => v + Convert.ToInt64(e.Payload[amountIndex]));
    }

    public void Print(TextWriter output, int top)
    {
        long total = _bytesByType.Values.Sum();
        output.WriteLine($"allocation samples by type (share of {total / 1024.0 / 1024:F0} MiB sampled):");
        foreach (var (type, bytes) in _bytesByType.OrderByDescending(kv => kv.Value).Take(top))
        {
            output.WriteLine($"  {bytes * 100.0 / total,5:F1}%  {type}");
        }
    }
}
