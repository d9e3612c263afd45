namespace ExaiFast.Core.Dispatch;

/// <summary>
/// Bytes of big inbound messages that the servers of this process hold in their inbound budgets right now; the memory
/// monitor reads it to tell a quiet process from one receiving big messages.
/// </summary>
/// <remarks>
/// Process-wide on purpose: the garbage collector, and so a compaction that pauses every thread, is the process's, so
/// any server receiving a big message makes the process busy (tests run several daemons in one process). A big message
/// streaming into the array allocated for it at its first frame allocates nothing for seconds: without this, the
/// monitor took that for quiet and compacted mid-burst. Thread-safe.
/// </remarks>
public static class InboundActivity
{
    private static long s_bytes;

    /// <summary>Bytes held now, all servers.</summary>
    public static long Bytes => Interlocked.Read(ref s_bytes);

    /// <summary>Adds (or, negative, removes) held bytes.</summary>
    public static void Add(long bytes) => Interlocked.Add(ref s_bytes, bytes);
}
