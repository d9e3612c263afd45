using System.Text.Json;
using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>Owns test payloads as the inbound budget owns big messages, and counts how often each is given back.</summary>
internal sealed class CountingOwner : IPayloadOwner
{
    private int _releases;

    /// <summary>Times any payload was given back.</summary>
    public int Releases => Volatile.Read(ref _releases);

    public void Release(byte[] array) => Interlocked.Increment(ref _releases);

    public void Release(byte[] array, JsonDocument document)
    {
        document.Dispose();
        Interlocked.Increment(ref _releases);
    }
}
