namespace ExaiFast.Tools.Threads;

/// <summary>What became of an append.</summary>
public enum ThreadAppendStatus
{
    /// <summary>The turn is recorded (and the thread's TTL refreshed).</summary>
    Appended,

    /// <summary>No such thread: never created, or expired.</summary>
    NotFound,

    /// <summary>The thread has <see cref="ThreadStoreOptions.MaxTurns"/> turns already; nothing was recorded.</summary>
    Full,
}
