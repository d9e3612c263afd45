using System.Buffers;
using ExaiFast.Server.Connections;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Http;

/// <summary>
/// An HTTP request body being read: in arrays rented from the shared pool while it is small, and once it is big, in
/// an array of exactly its inbound-budget reservation, allocated for it (as a big WebSocket message is; see
/// <see cref="InboundBudget"/>). Only what fits in <see cref="Room"/> may be written.
/// </summary>
/// <remarks>One reader: not thread-safe.</remarks>
internal sealed class BodyBuffer : IBufferWriter<byte>
{
    private byte[] _array = [];
    private int _written;
    private bool _owned;

    /// <summary>Bytes written so far.</summary>
    public int Written => _written;

    /// <summary>How many more bytes may be written: up to <see cref="InboundBudget.SmallMessageBytes"/> while small, up to
    /// the reservation once big.</summary>
    public long Room => (_owned ? _array.Length : InboundBudget.SmallMessageBytes) - _written;

    /// <summary>Moves the body into an array of exactly <paramref name="reserved"/> bytes, the budget it holds now.</summary>
    public void Own(long reserved)
    {
        byte[] owned = GC.AllocateUninitializedArray<byte>(checked((int)reserved));
        _array.AsSpan(0, _written).CopyTo(owned);
        ReturnRented();
        _array = owned;
        _owned = true;
    }

    /// <summary>Hands the body over; a big one's array carries its reservation back to <paramref name="budget"/>.</summary>
    public PooledBuffer Detach(InboundBudget budget)
    {
        var body = _array.Length == 0 ? default
            : _owned ? new PooledBuffer(_array, _written, budget)
            : new PooledBuffer(_array, _written);
        _array = [];
        _written = 0;
        _owned = false;
        return body;
    }

    /// <summary>Drops the body (the request failed). The caller gives back any reservation.</summary>
    public void Discard()
    {
        ReturnRented();
        _array = [];
        _written = 0;
        _owned = false;
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

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _array.Length)
        {
            return;
        }

        // The reader never writes past Room: an owned array is already the reservation.
        if (_owned || needed > InboundBudget.SmallMessageBytes)
        {
            throw new InvalidOperationException("body written past its room");
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(needed, Math.Max(_array.Length * 2, 512)), InboundBudget.SmallMessageBytes));
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
