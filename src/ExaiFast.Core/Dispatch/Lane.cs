using System.Threading.Channels;
using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>One provider's bounded queue and the fixed pool of workers that drains it.</summary>
/// <remarks>
/// The concurrency limit is the number of workers: there is no semaphore to leak. Admission only ever calls
/// <see cref="TryEnqueue"/>, which succeeds or fails at once; nothing waits for queue space.
/// </remarks>
internal sealed class Lane
{
    private readonly Channel<ToolCall> _queue;
    private readonly Task[] _workers;
    private int _busy;

    public Lane(string name, int workers, int queueDepth, Func<ToolCall, Task> run)
    {
        Name = name;
        _queue = Channel.CreateBounded<ToolCall>(new BoundedChannelOptions(queueDepth)
        {
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: a full queue refuses, never blocks
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _workers = new Task[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(() => WorkAsync(run));
        }
    }

    public string Name { get; }

    public int Workers => _workers.Length;

    public int Busy => Volatile.Read(ref _busy);

    public int Queued => _queue.Reader.Count;

    public bool TryEnqueue(ToolCall call) => _queue.Writer.TryWrite(call);

    /// <summary>Stops taking work; workers finish what they hold and the queue's remains, then end.</summary>
    public Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return Task.WhenAll(_workers);
    }

    private async Task WorkAsync(Func<ToolCall, Task> run)
    {
        var reader = _queue.Reader;
        while (true)
        {
            // TryRead, else ReadAsync — not WaitToReadAsync: a write wakes every worker parked in WaitToReadAsync
            // (all but one then park again, allocating each time), but completes exactly one blocked ReadAsync.
            // Measured: the herd was 9% of the bytes allocated per call with 8 workers.
            if (!reader.TryRead(out var call))
            {
                try
                {
                    call = await reader.ReadAsync().ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    return;
                }
            }

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
