namespace ExaiFast.Core.Tools;

/// <summary>A slot borrowed from a lane (<see cref="ToolContext.BorrowLaneAsync"/>); disposing gives it back, once.</summary>
public sealed class LaneLease : IDisposable
{
    private Action? _giveBack;

    internal LaneLease(Action giveBack) => _giveBack = giveBack;

    /// <summary>Gives the slot back to its lane (to the next waiter there); later calls do nothing.</summary>
    public void Dispose() => Interlocked.Exchange(ref _giveBack, null)?.Invoke();
}
