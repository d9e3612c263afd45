using System.Buffers;
using System.Text.Json;

namespace ExaiFast.Core.Calls;

/// <summary>
/// The memory behind a request's arguments — the parsed document and the pooled frame it reads in place — handed to
/// the dispatcher so that an admitted call reads its arguments where they arrived instead of copying them.
/// </summary>
/// <remarks>
/// Ownership moves with the value, once: <see cref="Dispatch.Dispatcher.Submit"/> takes it whatever it answers, and
/// disposes it once the call has ended and no worker reads the arguments any more (at once when the request was not
/// admitted as a call of its own). Before that line, the caller owns it. A struct so that handing it over allocates
/// nothing.
/// </remarks>
/// <param name="document">The document the arguments are an element of.</param>
/// <param name="pooledArray">The array the document reads, or null: from <see cref="ArrayPool{T}.Shared"/>, or
/// <paramref name="owner"/>'s when there is one.</param>
/// <param name="owner">Who takes <paramref name="pooledArray"/> back instead of the pool (a big message's budget), or null.</param>
public readonly struct ArgumentsLease(JsonDocument document, byte[]? pooledArray, IPayloadOwner? owner = null) : IDisposable
{
    private readonly JsonDocument? _document = document;
    private readonly byte[]? _pooledArray = pooledArray;
    private readonly IPayloadOwner? _owner = owner;

    /// <summary>Whether there is nothing to own (the dispatcher then copies the arguments).</summary>
    public bool IsEmpty => _document is null;

    /// <summary>Disposes the document, then returns the array it read to the pool (or its owner, which disposes the document itself).</summary>
    public void Dispose()
    {
        if (_owner is not null && _pooledArray is not null)
        {
            // A big message: its owner disposes the document too, where the metadata it rented at the payload's size
            // cannot end up kept by the shared pool.
            if (_document is not null)
            {
                _owner.Release(_pooledArray, _document);
            }
            else
            {
                _owner.Release(_pooledArray);
            }

            return;
        }

        _document?.Dispose();
        if (_pooledArray is not null)
        {
            ArrayPool<byte>.Shared.Return(_pooledArray);
        }
    }
}
