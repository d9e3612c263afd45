namespace ExaiFast.Core.Dispatch;

/// <summary>What <see cref="SessionLoad.AcquireOrWait"/> did with a call.</summary>
internal enum SessionAdmission
{
    /// <summary>A slot was free: the call holds it.</summary>
    Acquired,
    /// <summary>The call waits in its session's queue for a slot.</summary>
    Waiting,
    /// <summary>The session's queue is full: the call is refused.</summary>
    Full,
    /// <summary>The call ended (deadline, cancel) before it could join the queue: it is not queued.</summary>
    Ended,
}
