namespace ExaiFast.Core.Dispatch;

/// <summary>
/// The global limit on calls running at once, all lanes together (<c>EXAI_WS_GLOBAL_MAX_INFLIGHT</c>), and the lanes
/// whose queued calls wait for it.
/// </summary>
/// <remarks>
/// <para>A new call runs only with a slot of its lane and one of these; beyond either it waits in its lane's queue, on
/// its deadline, and is refused only when that queue is full. A running call keeps its slot here when it moves to
/// another lane, and hands it to the next call of its lane when it ends; one that ends with no successor gives it to
/// the lane that has waited longest for one (FIFO over lanes), which starts its oldest queued call with it.</para>
/// <para>Lock order: a lane's lock, then this one; <see cref="PassOn"/> is called holding no lane's lock, so that the
/// lane it returns can be locked next.</para>
/// </remarks>
internal sealed class RunningLimit(int max)
{
    private readonly Lock _gate = new();
    private readonly Queue<Lane> _waiting = new();
    private int _running;
    private int _waitingCount;

    /// <summary>The most calls that run at once.</summary>
    public int Max { get; } = max;

    /// <summary>Running slots taken.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>
    /// Takes a running slot for a call of <paramref name="lane"/>, or, when none is free, notes that the lane waits for
    /// one (once, however many of its calls wait). Called under the lane's lock.
    /// </summary>
    public bool TryTakeOrWait(Lane lane)
    {
        lock (_gate)
        {
            if (_running < Max)
            {
                _running++;
                return true;
            }

            Enqueue(lane);
            return false;
        }
    }

    /// <summary>Whether some lane waits for a running slot (read without the lock: a lane that starts waiting meanwhile
    /// is served by the next slot freed).</summary>
    public bool HasWaiting => Volatile.Read(ref _waitingCount) > 0;

    /// <summary>
    /// Puts <paramref name="lane"/> behind the lanes that wait already (a lane whose call ended gives its running slot
    /// to them, and waits its turn). Called under the lane's lock.
    /// </summary>
    public void Wait(Lane lane)
    {
        lock (_gate)
        {
            Enqueue(lane);
        }
    }

    /// <summary>
    /// A running slot is free and no call of its lane takes it: it goes to the lane that has waited longest (returned:
    /// that lane must start a call with it, or pass it on again), or back to the limit (null).
    /// </summary>
    public Lane? PassOn()
    {
        lock (_gate)
        {
            if (_waiting.TryDequeue(out var lane))
            {
                lane.WaitsForRunningSlot = false;
                Volatile.Write(ref _waitingCount, _waiting.Count);
                return lane;
            }

            _running--;
            return null;
        }
    }

    // Once per lane, however many of its calls wait.
    private void Enqueue(Lane lane)
    {
        if (!lane.WaitsForRunningSlot)
        {
            lane.WaitsForRunningSlot = true;
            _waiting.Enqueue(lane);
            Volatile.Write(ref _waitingCount, _waiting.Count);
        }
    }
}
