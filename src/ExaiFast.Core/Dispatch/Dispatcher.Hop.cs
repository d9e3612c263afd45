using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Dispatch;

public sealed partial class Dispatcher
{
    /// <summary>
    /// Moves a running call to <paramref name="laneName"/>'s slots (<see cref="ToolContext.EnterLaneAsync"/>): it takes a
    /// free slot there, or waits in that lane's queue on its own deadline and token; only then, or once it waits, is its
    /// current slot given on, so that it never holds two slots and never holds one while it waits.
    /// </summary>
    /// <exception cref="LaneFullException">That lane's queue is full (or it has stopped): the call keeps its slot.</exception>
    /// <exception cref="OperationCanceledException">The call's deadline, cancel, disconnect or shutdown came first.</exception>
    internal ValueTask EnterLaneAsync(ToolCall call, string laneName)
    {
        var from = call.Slot ?? throw new InvalidOperationException("the call holds no lane slot: a hop is only for a running call, one at a time");
        if (string.Equals(from.Name, laneName, StringComparison.Ordinal))
        {
            return ValueTask.CompletedTask;
        }

        if (!_lanes.TryGetValue(laneName, out var to))
        {
            throw new InvalidOperationException($"no lane '{laneName}'");
        }

        call.Token.ThrowIfCancellationRequested();
        var waiter = new LaneHopWaiter();
        switch (to.TryHopIn(waiter))
        {
            case LaneAdmission.Run:
                call.Slot = to;
                call.Lane = to.Name;
                GiveOn(from);
                _metrics?.LaneHops.WithLabels(from.Name, to.Name, "run").Inc();
                return ValueTask.CompletedTask;
            case LaneAdmission.Queued:
                call.Slot = null; // until the wait hands it a slot
                call.Lane = to.Name;
                GiveOn(from);
                _metrics?.LaneHops.WithLabels(from.Name, to.Name, "queued").Inc();
                return WaitForSlotAsync(call, to, waiter);
            default:
                _metrics?.LaneHops.WithLabels(from.Name, to.Name, "refused").Inc();
                throw new LaneFullException($"lane '{to.Name}' queue is full ({_options.QueueDepth})", _options.OverCapacityRetryAfterSeconds);
        }
    }

    private static async ValueTask WaitForSlotAsync(ToolCall call, Lane to, LaneHopWaiter waiter)
    {
        waiter.Watch(call.Token);
        try
        {
            await waiter.Task.ConfigureAwait(false); // throws when the token won: no slot was handed to it
        }
        finally
        {
            waiter.Unwatch();
        }

        call.Slot = to;
    }

    // The slot a call hopped out of goes to that lane's next waiter: a hopping one is handed it, a queued call starts on
    // the pool (never on this thread, which is running the hopping call) if it gets a running slot of its own — the
    // hopping call keeps its own.
    private static void GiveOn(Lane from)
    {
        if (from.PassOn(withRunningSlot: false).Next is { } next)
        {
            from.RunOnPool(next);
        }
    }
}
