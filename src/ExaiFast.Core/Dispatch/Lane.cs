using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>One provider's bounded queue and the fixed pool of workers that drains it.</summary>
/// <remarks>
/// The concurrency limit is the number of workers: there is no semaphore to leak. Admission only ever calls
/// <see cref="TryEnqueue"/>, which succeeds or fails at once; nothing waits for queue space.
/// </remarks>
internal sealed class Lane
{
    private readonly WorkQueue<ToolCall> _queue;
    private readonly Task[] _workers;
    private int _busy;

    public Lane(string name, int workers, int queueDepth, Func<ToolCall, Task> run)
    {
        Name = name;
        _queue = new WorkQueue<ToolCall>(queueDepth, workers);
        _workers = new Task[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(() => WorkAsync(run));
        }
    }

    public string Name { get; }

    public int Workers => _workers.Length;

    public int Busy => Volatile.Read(ref _busy);

    public int Queued => _queue.Count;

    public bool TryEnqueue(ToolCall call) => _queue.TryWrite(call);

    /// <summary>Stops taking work; workers finish what they hold and the queue's remains, then end.</summary>
    public Task CompleteAsync()
    {
        _queue.Complete();
        return Task.WhenAll(_workers);
    }

    private async Task WorkAsync(Func<ToolCall, Task> run)
    {
        var parked = new ParkedWorker<ToolCall>();
        while (await _queue.ReadAsync(parked).ConfigureAwait(false) is { } call)
        {
            Interlocked.Increment(ref _busy);
            try
            {
                await run(call).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
            }
        }
    }
}
