using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ExaiFast.Server.Tests;

/// <summary>
/// A big message's document leaves nothing payload-sized in <see cref="ArrayPool{T}.Shared"/>, which would keep it for
/// good. Observed with allocation counters: renting the metadata's size afterwards allocates when the pool has no such
/// array, and allocates nothing when it has one (the control, parsed on the test's own thread, shows the difference is
/// visible).
/// </summary>
/// <remarks>9 MiB payloads: the metadata falls in the pool's 16 MiB bucket, which nothing else in this assembly uses.</remarks>
public class BigMessageJsonTests
{
    private const int PayloadBytes = 9 << 20;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    [Fact]
    public void Control_ADocumentParsedOnThisThread_LeavesItsMetadataInThePool()
    {
        byte[] payload = Prompt();
        JsonDocument.Parse(payload.AsMemory(), Options).Dispose(); // a prompt's document gives its metadata back at once
        Assert.True(RentAllocates(payload.Length) < 1024, "the pool kept the metadata (the effect the other tests rule out)");
    }

    [Fact]
    public async Task APromptParsedOffThread_IsReadInPlace_AndThePoolKeepsNoMetadata()
    {
        byte[] payload = Prompt();
        var document = await BigMessageJson.ParseAsync(payload.AsMemory(), Options);

        var prompt = document.RootElement.GetProperty("arguments").GetProperty("prompt");
        Assert.True(payload.AsSpan().Overlaps(JsonMarshal.GetRawUtf8Value(prompt)), "the arguments are read where they arrived");
        await DisposeOffThreadAsync(document);

        Assert.True(RentAllocates(payload.Length) >= PayloadBytes, "the shared pool kept a payload-sized array");
    }

    [Fact]
    public async Task ADenseDocument_KeepsItsMetadataUntilDisposed_AndDisposedOffThread_ThePoolKeepsNone()
    {
        var json = new StringBuilder("{\"a\":[");
        while (json.Length < PayloadBytes)
        {
            json.Append("1,2,3,4,5,6,7,8,9,");
        }

        byte[] payload = Encoding.UTF8.GetBytes(json.Append("0]}").ToString());
        var document = await BigMessageJson.ParseAsync(payload.AsMemory(), Options);
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("a").ValueKind);
        await DisposeOffThreadAsync(document);

        Assert.True(RentAllocates(payload.Length) >= PayloadBytes, "the shared pool kept a payload-sized array");
    }

    [Fact]
    public async Task InvalidJson_IsAJsonException()
    {
        byte[] payload = Prompt();
        payload[^1] = (byte)'x';
        await Assert.ThrowsAnyAsync<JsonException>(() => BigMessageJson.ParseAsync(payload.AsMemory(), Options));
    }

    private static async Task DisposeOffThreadAsync(JsonDocument document)
    {
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        BigMessageJson.DisposeThen(document, () => disposed.SetResult());
        await disposed.Task;
    }

    // What renting the document's metadata size (its payload plus one 12-byte row) allocates on this thread; the
    // array is kept, not returned, so the test leaves the pool as it found it.
    private static long RentAllocates(int payloadLength)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[] rented = ArrayPool<byte>.Shared.Rent(payloadLength + 12);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(rented);
        return allocated;
    }

    private static byte[] Prompt()
    {
        var json = new StringBuilder("{\"op\":\"call_tool\",\"name\":\"chat\",\"arguments\":{\"prompt\":\"");
        while (json.Length < PayloadBytes)
        {
            json.Append("a line of a big prompt, \\\"quoted\\\"\\n");
        }

        return Encoding.UTF8.GetBytes(json.Append("\"}}").ToString());
    }
}
