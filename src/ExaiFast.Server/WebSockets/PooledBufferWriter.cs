using System.Buffers;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.WebSockets;

/// <summary>An <see cref="IBufferWriter{T}"/> over a rented array whose contents are handed over, uncopied, as a <see cref="PooledBuffer"/>.</summary>
/// <remarks>Reusable: after <see cref="Detach"/>, <see cref="Begin"/> rents the next array.</remarks>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private const int InitialSize = 512;
    private byte[] _array;
    private int _written;

    public PooledBufferWriter() => _array = ArrayPool<byte>.Shared.Rent(InitialSize);

    /// <summary>Starts a new buffer if the last one was detached.</summary>
    public void Begin()
    {
        if (_array.Length == 0)
        {
            _array = ArrayPool<byte>.Shared.Rent(InitialSize);
        }
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

    /// <summary>Hands the written bytes over; call <see cref="Begin"/> before writing again.</summary>
    public PooledBuffer Detach()
    {
        var buffer = new PooledBuffer(_array, _written);
        _array = [];
        _written = 0;
        return buffer;
    }

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _array.Length)
        {
            return;
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _array.Length * 2));
        _array.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_array);
        _array = bigger;
    }
}
