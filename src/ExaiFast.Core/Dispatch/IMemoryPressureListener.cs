namespace ExaiFast.Core.Dispatch;

/// <summary>
/// Something that holds memory it can give back (a store of threads, a cache): told by the memory monitor at every
/// reading above <see cref="MemoryPressure.Normal"/>, after the dispatcher trimmed its own stored results.
/// </summary>
/// <remarks>Called on the monitor's timer loop, one reading at a time; must not block.</remarks>
public interface IMemoryPressureListener
{
    /// <summary>The heap is at <paramref name="level"/>: drop what can be rebuilt or lost.</summary>
    void OnMemoryPressure(MemoryPressure level);
}
