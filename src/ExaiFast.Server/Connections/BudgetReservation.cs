namespace ExaiFast.Server.Connections;

/// <summary>What one connection's big inbound message (a WebSocket message, an HTTP body) holds of the
/// <see cref="InboundBudget"/>, or waits for, and since when: the reader reserves, the heartbeat judges the times.</summary>
/// <remarks>
/// <see cref="Reserved"/> and the reserving methods belong to the connection's reader; <see cref="WaitStarted"/>,
/// <see cref="HeldSince"/> and <see cref="CancelWait"/> may be used from any thread.
/// </remarks>
internal sealed class BudgetReservation(InboundBudget budget, TimeProvider time, TransportConnection connection)
{
    private long _waitStarted; // timestamp; 0 when not waiting (read by the heartbeat)
    private long _heldSince;   // timestamp the message took budget; 0 when it holds none (read by the heartbeat)
    private InboundBudget.Waiter? _waiter;

    /// <summary>Bytes held now (0: a small message, which never takes part).</summary>
    public long Reserved { get; private set; }

    /// <summary>When the current wait for budget began; 0 when not waiting.</summary>
    public long WaitStarted => Volatile.Read(ref _waitStarted);

    /// <summary>When the message first took budget; 0 when it holds none.</summary>
    public long HeldSince => Volatile.Read(ref _heldSince);

    /// <summary>Takes <paramref name="need"/> more bytes, waiting for them if it must (with the rest of the message
    /// unread, so TCP holds the peer back); false when the wait was given up (timeout, abort, shutdown).</summary>
    public async ValueTask<bool> ReserveAsync(long need)
    {
        if (!budget.TryReserve(need, out var waiter))
        {
            Volatile.Write(ref _waitStarted, time.GetTimestamp());
            // A full fence before reading the flags, as Abort and BeginShutdown set theirs with one before they look for
            // the waiter: whichever comes second sees the other, so no wait outlives an abort.
            Interlocked.Exchange(ref _waiter, waiter);
            if (connection.IsAborted || connection.IsShutdownRequested)
            {
                budget.Cancel(waiter!); // Abort or BeginShutdown ran before the waiter was published
            }

            bool granted = await waiter!.Granted.ConfigureAwait(false);
            Volatile.Write(ref _waiter, null);
            Volatile.Write(ref _waitStarted, 0);
            if (!granted)
            {
                return false;
            }
        }

        Reserved += need;
        if (Volatile.Read(ref _heldSince) == 0)
        {
            Volatile.Write(ref _heldSince, time.GetTimestamp());
        }

        return true;
    }

    /// <summary>Whether a wait for budget is under way (its waiter published).</summary>
    public bool IsWaiting => Volatile.Read(ref _waiter) is not null;

    /// <summary>Ends a wait for budget (the reader wakes up refused). Any thread. False when nothing was waiting, or the
    /// bytes were granted first.</summary>
    public bool CancelWait() => Volatile.Read(ref _waiter) is { } waiter && budget.Cancel(waiter);

    /// <summary>The message's array now carries <paramref name="kept"/> bytes of the reservation (released with the
    /// array); the rest comes back, and the reservation is empty.</summary>
    public void HandOver(long kept)
    {
        budget.Release(Reserved - kept);
        Reserved = 0;
        Volatile.Write(ref _heldSince, 0);
    }

    /// <summary>Gives everything back (a message that failed, was cut off, or never became big). Idempotent.</summary>
    public void ReleaseAll() => HandOver(0);
}
