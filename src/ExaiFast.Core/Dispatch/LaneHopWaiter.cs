namespace ExaiFast.Core.Dispatch;

/// <summary>
/// A running call waiting in another lane's queue for a slot: completed with the slot (<see cref="TryGrant"/>, under
/// that lane's lock), or cancelled by the call's token — whichever comes first, exactly once, so a slot is either
/// handed to it or passed on to the next in the queue, never lost.
/// </summary>
internal sealed class LaneHopWaiter() : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private CancellationTokenRegistration _registration;

    /// <summary>Stops waiting when <paramref name="token"/> fires (at once if it has).</summary>
    public void Watch(CancellationToken token) =>
        _registration = token.UnsafeRegister(static (s, t) => ((LaneHopWaiter)s!).TrySetCanceled(t), this);

    /// <summary>Hands the waiter a slot; false if it has stopped waiting (the slot goes to the next).</summary>
    public bool TryGrant() => TrySetResult();

    /// <summary>Drops the token registration, once the wait has ended either way.</summary>
    public void Unwatch() => _registration.Dispose();
}
