using System.Buffers.Text;
using ExaiFast.Core.Threads;

namespace ExaiFast.Server.Mcp;

/// <summary>Where a page starts: after the thread of this time and id in the list's order (newest first, then by id).</summary>
internal readonly record struct ThreadCursor(long UpdatedTicks, Guid Id)
{
    /// <summary>The cursor as MCP's opaque <c>nextCursor</c> (base64url).</summary>
    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[24];
        BitConverter.TryWriteBytes(bytes, UpdatedTicks);
        Id.TryWriteBytes(bytes[8..]);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The cursor a <c>nextCursor</c> of this server encodes; false for anything else.</summary>
    public static bool TryDecode(string text, out ThreadCursor cursor)
    {
        cursor = default;
        Span<byte> bytes = stackalloc byte[24];
        if (text.Length != 32 || !Base64Url.TryDecodeFromChars(text, bytes, out int written) || written != 24)
        {
            return false;
        }

        cursor = new ThreadCursor(BitConverter.ToInt64(bytes), new Guid(bytes[8..]));
        return true;
    }

    /// <summary>Whether <paramref name="thread"/> comes after the cursor in the list's order.</summary>
    public bool Precedes(ThreadSummary thread) =>
        thread.UpdatedAt.UtcTicks < UpdatedTicks || (thread.UpdatedAt.UtcTicks == UpdatedTicks && thread.Id.CompareTo(Id) > 0);
}
