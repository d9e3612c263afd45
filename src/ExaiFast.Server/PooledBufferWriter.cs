using System.Buffers;
using ExaiFast.Core.Calls;

namespace ExaiFast.Server;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> whose contents are handed over, uncopied, as a <see cref="PooledBuffer"/>: in
/// arrays rented from the shared pool, grown by doubling up to a limit; and for a big inbound message (an HTTP body past
/// <see cref="Connections.InboundBudget.SmallMessageBytes"/>), in an array of exactly its inbound-budget reservation, allocated for
/// it rather than rented (see <see cref="Connections.InboundBudget"/>), so that its length is what it holds of the budget.
/// </summary>
/// <remarks>Reusable: after <see cref="Detach"/> or <see cref="Discard"/> the next write rents a new array. One
/// writer: not thread-safe.</remarks>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private const int InitialSize = 512;
    private readonly int _rentLimit;
    private byte[] _array = [];
    private int _written;
    private bool _owned; // _array was allocated at a budget reservation (Own), not rented

    /// <param name="rentLimit">The most a rented array grows to; writing past it is a bug of the caller, who checks
    /// <see cref="Room"/> (and moves to an owned array with <see cref="Own"/>).</param>
    public PooledBufferWriter(int rentLimit = int.MaxValue) => _rentLimit = rentLimit;

    /// <summary>Bytes written so far.</summary>
    public int Written => _written;

    /// <summary>How many more bytes may be written: up to the rent limit while rented, up to the reservation once owned.</summary>
    public long Room => (_owned ? _array.Length : _rentLimit) - _written;

    /// <summary>Moves the contents into an array of exactly <paramref name="reserved"/> bytes, the budget they hold now.</summary>
    public void Own(long reserved)
    {
        byte[] owned = GC.AllocateUninitializedArray<byte>(checked((int)reserved));
        _array.AsSpan(0, _written).CopyTo(owned);
        ReturnRented();
        _array = owned;
        _owned = true;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_written);
    }

    /// <summary>Hands the written bytes over (none written: an empty buffer); an owned array carries its reservation
    /// back to <paramref name="budget"/> (the inbound budget) when returned.</summary>
    public PooledBuffer Detach(IPayloadOwner? budget = null)
    {
        var buffer = _array.Length == 0 ? default
            : _owned ? new PooledBuffer(_array, _written, budget ?? throw new InvalidOperationException("an owned buffer is handed over with its budget"))
            : new PooledBuffer(_array, _written);
        _array = [];
        _written = 0;
        _owned = false;
        return buffer;
    }

    /// <summary>Drops the contents. The caller gives back any reservation.</summary>
    public void Discard()
    {
        ReturnRented();
        _array = [];
        _written = 0;
        _owned = false;
    }

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _array.Length)
        {
            return;
        }

        // The caller never writes past Room: an owned array is already the reservation.
        if (_owned || needed > _rentLimit)
        {
            throw new InvalidOperationException("buffer written past its room");
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(needed, Math.Max(_array.Length * 2, InitialSize)), _rentLimit));
        _array.AsSpan(0, _written).CopyTo(bigger);
        ReturnRented();
        _array = bigger;
    }

    private void ReturnRented()
    {
        if (!_owned && _array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }
    }
}
