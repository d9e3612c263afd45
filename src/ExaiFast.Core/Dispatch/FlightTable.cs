using System.Diagnostics.CodeAnalysis;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// Single-flight registrations: running calls by <see cref="FlightKey"/> in a direct-mapped table — lock-free and
/// allocation-free (a dictionary spent a node and two lock-stripe acquisitions per coalescable call).
/// </summary>
/// <remarks>
/// Best effort by design, as single-flight is an optimisation: when two different live calls map to the same slot,
/// the second is not registered and simply runs on its own. With twice as many slots as calls can be in flight, and
/// keys that are SHA-256 prefixes, that is rare. A slot whose call has completed counts as free.
/// </remarks>
internal sealed class FlightTable
{
    private readonly ToolCall?[] _slots;
    private readonly int _mask;
    private int _registered; // slots holding a call (live or just ended): moves only when a slot turns null <-> call

    /// <summary>Creates a table for up to <paramref name="maxInflight"/> calls in flight.</summary>
    public FlightTable(int maxInflight)
    {
        int size = (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, maxInflight * 2)));
        _slots = new ToolCall?[size];
        _mask = size - 1;
    }

    /// <summary>Whether no call is registered: then no call can have a twin, and a new call need not compute its key.</summary>
    public bool IsEmpty => Volatile.Read(ref _registered) == 0;

    /// <summary>The live call registered under <paramref name="key"/>, if any.</summary>
    public bool TryGet(FlightKey key, [NotNullWhen(true)] out ToolCall? call)
    {
        call = Volatile.Read(ref Slot(key));
        if (call is not null && call.FlightKey == key && !call.IsCompleted)
        {
            return true;
        }

        call = null;
        return false;
    }

    /// <summary>Registers <paramref name="call"/> if its slot is free; otherwise leaves it unregistered.</summary>
    public void TryAdd(FlightKey key, ToolCall call)
    {
        ref var slot = ref Slot(key);
        var current = Volatile.Read(ref slot);
        if ((current is null || current.IsCompleted) && Interlocked.CompareExchange(ref slot, call, current) == current && current is null)
        {
            Interlocked.Increment(ref _registered);
        }
    }

    /// <summary>Unregisters <paramref name="call"/> (and nothing that replaced it).</summary>
    public void Remove(FlightKey key, ToolCall call)
    {
        if (Interlocked.CompareExchange(ref Slot(key), null, call) == call)
        {
            Interlocked.Decrement(ref _registered);
        }
    }

    private ref ToolCall? Slot(FlightKey key) => ref _slots[(int)((ulong)key.Low & (ulong)_mask)];
}
