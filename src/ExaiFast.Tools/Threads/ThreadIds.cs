using System.Security.Cryptography;

namespace ExaiFast.Tools.Threads;

/// <summary>
/// New conversation thread ids: random version-4 GUIDs, like <see cref="Guid.NewGuid"/>, cut from a per-thread block
/// of the operating system's cryptographic randomness.
/// </summary>
/// <remarks>
/// An id is the only key to a thread's turns, so it must stay unguessable; but every chat answer opens a thread, and
/// <see cref="Guid.NewGuid"/> on Linux reads <c>/dev/urandom</c> once per id, a system call that cost a busy daemon
/// 2.5% of its CPU. One <see cref="RandomNumberGenerator.Fill"/> serves 256 ids; the bytes of an id are cleared once
/// it is cut, so the block never holds an id handed out.
/// </remarks>
internal static class ThreadIds
{
    private const int BlockBytes = 4096;

    [ThreadStatic]
    private static byte[]? t_block;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A new random thread id.</summary>
    public static Guid New()
    {
        var block = t_block ??= new byte[BlockBytes];
        if (t_next == 0)
        {
            RandomNumberGenerator.Fill(block);
        }

        var bytes = block.AsSpan(t_next, 16);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (the high nibble of the third group, little-endian)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        var id = new Guid(bytes);
        bytes.Clear();
        t_next = (t_next + 16) % BlockBytes;
        return id;
    }
}
