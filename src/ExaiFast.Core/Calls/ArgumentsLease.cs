using System.Buffers;
using System.Text.Json;

namespace ExaiFast.Core.Calls;

/// <summary>
/// The memory behind a request's arguments — the parsed document and the pooled frame it reads in place — handed to
/// the dispatcher so that an admitted call reads its arguments where they arrived instead of copying them.
/// </summary>
/// <remarks>
/// Ownership moves with the value: <see cref="Dispatch.Dispatcher.Submit"/> takes it when (and only when) it answers
/// <see cref="Dispatch.SubmitStatus.Accepted"/>, and disposes it once the call has ended and no worker reads the
/// arguments any more; otherwise the caller still owns it. A struct so that handing it over allocates nothing.
/// </remarks>
/// <param name="document">The document the arguments are an element of.</param>
/// <param name="pooledArray">The <see cref="ArrayPool{T}.Shared"/> array the document reads, or null.</param>
public readonly struct ArgumentsLease(JsonDocument document, byte[]? pooledArray) : IDisposable
{
    private readonly JsonDocument? _document = document;
    private readonly byte[]? _pooledArray = pooledArray;

    /// <summary>Whether there is nothing to own (the dispatcher then copies the arguments).</summary>
    public bool IsEmpty => _document is null;

    /// <summary>Disposes the document, then returns the array it read to the pool.</summary>
    public void Dispose()
    {
        _document?.Dispose();
        if (_pooledArray is not null)
        {
            ArrayPool<byte>.Shared.Return(_pooledArray);
        }
    }
}
