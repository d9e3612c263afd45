using System.Buffers;
using ExaiFast.Server.Connections;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Stdio;

/// <summary>
/// A stdio line over <see cref="InboundBudget.SmallMessageBytes"/> being read: assembled, as a big WebSocket message
/// is, in an array of exactly the inbound budget it holds, allocated for it rather than rented (see
/// <see cref="InboundBudget"/>), so that the pipe keeps none of it and the array's length is the reservation.
/// </summary>
/// <remarks>
/// A line has no declared length, so its reservation grows in doubling steps (as a chunked HTTP body's does) up to the
/// line limit, and to the exact length for the step that ends it. The caller reserves what <see cref="BudgetFor"/>
/// says before <see cref="Grow"/>. One reader: not thread-safe.
/// </remarks>
internal sealed class BigLine(InboundBudget budget)
{
    private byte[]? _array;
    private int _length;

    /// <summary>Whether a big line is being assembled.</summary>
    public bool IsOpen => _array is not null;

    /// <summary>Bytes assembled so far.</summary>
    public long Length => _length;

    /// <summary>More budget needed before <paramref name="more"/> bytes can be appended (0 when they fit).</summary>
    /// <param name="more">Bytes to append.</param>
    /// <param name="ends">Whether they end the line: the reservation is then exactly its length.</param>
    /// <param name="maxBytes">The line limit; the caller has checked that the line stays within it.</param>
    public long BudgetFor(long more, bool ends, long maxBytes)
    {
        long needed = _length + more;
        long reserved = _array?.LongLength ?? 0;
        if (needed <= reserved)
        {
            return 0;
        }

        long target = ends ? needed : Math.Min(Math.Max(needed, 2 * Math.Max(reserved, InboundBudget.SmallMessageBytes)), maxBytes);
        return target - reserved;
    }

    /// <summary>Moves the line into an array <paramref name="reserved"/> bytes longer, the budget just taken for it.</summary>
    public void Grow(long reserved)
    {
        byte[] bigger = GC.AllocateUninitializedArray<byte>(checked((int)((_array?.LongLength ?? 0) + reserved)));
        _array?.AsSpan(0, _length).CopyTo(bigger);
        _array = bigger; // the old one is the GC's: its bytes are counted in the new reservation
    }

    /// <summary>Appends bytes that fit (see <see cref="BudgetFor"/>).</summary>
    public void Append(in ReadOnlySequence<byte> bytes)
    {
        bytes.CopyTo(_array.AsSpan(_length));
        _length += (int)bytes.Length;
    }

    /// <summary>Hands the whole line over: its array carries its reservation back to the budget when returned.</summary>
    public PooledBuffer Take()
    {
        var line = new PooledBuffer(_array!, _length, budget);
        _array = null;
        _length = 0;
        return line;
    }

    /// <summary>Drops the line being assembled (refused, or reading ended) and gives its budget back. Idempotent.</summary>
    public void Drop()
    {
        if (_array is { } array)
        {
            _array = null;
            _length = 0;
            budget.Release(array);
        }
    }
}
