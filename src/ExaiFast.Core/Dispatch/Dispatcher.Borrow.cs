using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Dispatch;

public sealed partial class Dispatcher
{
    /// <summary>
    /// Takes one more slot of <paramref name="laneName"/> for a request a running call makes on the side
    /// (<see cref="ToolContext.BorrowLaneAsync"/>: consensus asks several providers at once, each request counted in its
    /// provider's lane). A free slot is taken at once; otherwise the request waits in that lane's queue on
    /// <paramref name="cancellationToken"/> (the request's own deadline). The call keeps its own slot throughout.
    /// </summary>
    /// <exception cref="LaneFullException">That lane's queue is full (or it has stopped).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while it waited.</exception>
    internal async ValueTask<LaneLease> BorrowLaneAsync(ToolCall call, string laneName, CancellationToken cancellationToken)
    {
        if (!_lanes.TryGetValue(laneName, out var lane))
        {
            throw new InvalidOperationException($"no lane '{laneName}'");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new LaneHopWaiter();
        switch (lane.TryHopIn(waiter))
        {
            case LaneAdmission.Run:
                return new LaneLease(() => GiveOn(lane));
            case LaneAdmission.Queued:
                waiter.Watch(cancellationToken);
                try
                {
                    await waiter.Task.ConfigureAwait(false); // throws when the token won: no slot was handed to it
                }
                finally
                {
                    waiter.Unwatch();
                }

                return new LaneLease(() => GiveOn(lane));
            default:
                throw new LaneFullException($"lane '{lane.Name}' queue is full ({_options.QueueDepth})", _options.OverCapacityRetryAfterSeconds);
        }
    }
}
