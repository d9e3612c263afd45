namespace ExaiFast.Core.Dispatch;

/// <summary>How close the managed heap is to the daemon's memory budget, as the memory monitor last saw it.</summary>
public enum MemoryPressure
{
    /// <summary>Below the high-water mark.</summary>
    Normal,

    /// <summary>At or above the high-water mark: stored results are trimmed.</summary>
    High,

    /// <summary>At or above the critical mark (after a full collection confirmed it): new calls are refused.</summary>
    Critical,
}
