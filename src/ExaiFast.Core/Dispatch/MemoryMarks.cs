using ExaiFast.Core.Options;

namespace ExaiFast.Core.Dispatch;

/// <summary>The memory monitor's two thresholds in bytes, with the defaults derived from what the GC may use.</summary>
/// <param name="HighWater">Managed heap at which stored results are trimmed.</param>
/// <param name="Critical">Managed heap at which new calls are refused.</param>
/// <param name="CompactGrowth">Growth of the GC's committed memory since the last compaction at which a quiet daemon
/// compacts and gives memory back; 0: by <see cref="MinCompactGrowth"/>, and to twice the live heap that compaction found.</param>
public readonly record struct MemoryMarks(long HighWater, long Critical, long CompactGrowth = 0)
{
    /// <summary>Least growth that makes a quiet daemon compact when <see cref="CompactGrowth"/> is 0.</summary>
    public const long MinCompactGrowth = 32L << 20;

    /// <summary>Default high-water mark: this share of the memory available to the GC.</summary>
    public const double DefaultHighWaterShare = 0.75;

    /// <summary>Default critical mark: this share of the memory available to the GC.</summary>
    public const double DefaultCriticalShare = 0.90;

    /// <summary>
    /// The marks of <paramref name="options"/>; a mark left at 0 is a share of the GC's
    /// <see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/> (physical memory, or the container's or
    /// <c>GCHeapHardLimit</c>'s limit when there is one).
    /// </summary>
    public static MemoryMarks Resolve(DispatcherOptions options)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new MemoryMarks(
            options.MemoryHighWaterBytes > 0 ? options.MemoryHighWaterBytes : (long)(available * DefaultHighWaterShare),
            options.MemoryCriticalBytes > 0 ? options.MemoryCriticalBytes : (long)(available * DefaultCriticalShare),
            options.MemoryCompactGrowthBytes);
    }
}
