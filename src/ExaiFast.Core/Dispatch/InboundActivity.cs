namespace ExaiFast.Core.Dispatch;

/// <summary>
/// Bytes of big inbound messages that the daemon's servers (its socket server, its stdio transport) hold in their
/// inbound budgets right now; the memory monitor reads it to tell a quiet daemon from one receiving big messages.
/// </summary>
/// <remarks>
/// One per daemon, made by its composition root and handed to the inbound budgets and the memory monitor: a daemon is a
/// process, and the garbage collector, and so a compaction that pauses every thread, is the process's. A big message
/// streaming into the array allocated for it at its first frame allocates nothing for seconds: without this, the
/// monitor took that for quiet and compacted mid-burst. Thread-safe.
/// </remarks>
public sealed class InboundActivity
{
    private long _bytes;

    /// <summary>Bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Adds (or, negative, removes) held bytes.</summary>
    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);
}
