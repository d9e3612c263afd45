using System.Text.Json;

namespace ExaiFast.Core.Calls;

/// <summary>
/// Takes back a request's payload array that did not come from <see cref="System.Buffers.ArrayPool{T}.Shared"/>:
/// a big message assembled under the server's inbound budget, whose bytes count against the budget until released.
/// </summary>
/// <remarks>Called once per array, from any thread.</remarks>
public interface IPayloadOwner
{
    /// <summary>The payload in <paramref name="array"/> is no longer read by anyone.</summary>
    void Release(byte[] array);

    /// <summary>The payload in <paramref name="array"/> and <paramref name="document"/>, parsed over it, are no longer
    /// read: the owner disposes the document (where its pooled metadata cannot stay pooled), then takes the array back.</summary>
    void Release(byte[] array, JsonDocument document);
}
