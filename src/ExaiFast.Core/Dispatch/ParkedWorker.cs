using System.Threading.Tasks.Sources;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// A worker's reusable wait for its next item: parking and waking allocate nothing, because the same source serves
/// every wait (one consumer, one wait at a time).
/// </summary>
/// <typeparam name="T">The item type; null means the queue completed.</typeparam>
internal sealed class ParkedWorker<T> : IValueTaskSource<T?>
    where T : class
{
    // Continuations go to the thread pool: the thread that hands an item over (a connection's reader) must never
    // run the tool itself.
    private ManualResetValueTaskSourceCore<T?> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>The wait that <see cref="Wake"/> completes.</summary>
    public ValueTask<T?> Wait() => new(this, _core.Version);

    /// <summary>Hands over <paramref name="item"/> (or null: the queue completed).</summary>
    public void Wake(T? item) => _core.SetResult(item);

    public T? GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset(); // ready for the next wait; the worker parks again only after this returns
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
