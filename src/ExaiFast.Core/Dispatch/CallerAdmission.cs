namespace ExaiFast.Core.Dispatch;

/// <summary>What <see cref="CallerLoad.AcquireOrWait"/> did with a call.</summary>
internal enum CallerAdmission
{
    /// <summary>A slot was free: the call holds it.</summary>
    Acquired,
    /// <summary>The call waits in its caller's queue for a slot.</summary>
    Waiting,
    /// <summary>The caller's queue is full: the call is refused.</summary>
    Full,
    /// <summary>The call ended (deadline, cancel) before it could join the queue: it is not queued.</summary>
    Ended,
}
