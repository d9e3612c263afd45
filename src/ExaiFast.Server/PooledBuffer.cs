using System.Buffers;
using ExaiFast.Core.Calls;

namespace ExaiFast.Server;

/// <summary>A byte array rented from <see cref="ArrayPool{T}.Shared"/> (or held for an <see cref="Owner"/>) and the count
/// of bytes in use.</summary>
/// <remarks>
/// Ownership moves with the value: whoever holds it last calls <see cref="Return"/> exactly once (or hands it to
/// <see cref="WebSockets.IWebSocketSession.SendAsync"/>, which takes ownership). A struct so that passing one allocates nothing.
/// </remarks>
internal readonly struct PooledBuffer
{
    /// <summary>Wraps a rented array.</summary>
    public PooledBuffer(byte[] array, int length)
    {
        Array = array;
        Length = length;
    }

    /// <summary>Wraps an array that <paramref name="owner"/> takes back (a big message under the inbound budget).</summary>
    internal PooledBuffer(byte[] array, int length, IPayloadOwner? owner)
    {
        Array = array;
        Length = length;
        Owner = owner;
    }

    /// <summary>Who takes <see cref="Array"/> back instead of the pool, or null.</summary>
    public IPayloadOwner? Owner { get; }

    /// <summary>The rented array (may be longer than <see cref="Length"/>).</summary>
    public byte[]? Array { get; }

    /// <summary>Bytes in use.</summary>
    public int Length { get; }

    /// <summary>The bytes in use.</summary>
    public ReadOnlySpan<byte> Span => Array is null ? default : Array.AsSpan(0, Length);

    /// <summary>The bytes in use.</summary>
    public ReadOnlyMemory<byte> Memory => Array is null ? default : Array.AsMemory(0, Length);

    /// <summary>Copies <paramref name="data"/> into a newly rented buffer.</summary>
    public static PooledBuffer CopyOf(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return default;
        }

        byte[] array = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(array);
        return new PooledBuffer(array, data.Length);
    }

    /// <summary>Gives the array back to the pool (or its owner).</summary>
    public void Return()
    {
        if (Array is null)
        {
            return;
        }

        if (Owner is not null)
        {
            Owner.Release(Array);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(Array);
        }
    }
}
