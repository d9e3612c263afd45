namespace ExaiFast.Core.Dispatch;

/// <summary>What <see cref="Lane.TryAdmit"/> did with a call.</summary>
internal enum LaneAdmission
{
    /// <summary>A slot was free and the call holds it now: the admitting thread starts it.</summary>
    Run,

    /// <summary>Every slot is taken; the call waits in the lane's queue for the next slot that comes free.</summary>
    Queued,

    /// <summary>Every slot is taken and the queue is full (or the lane has stopped): refused.</summary>
    Full,
}
