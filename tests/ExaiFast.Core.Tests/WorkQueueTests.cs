using ExaiFast.Core.Dispatch;

namespace ExaiFast.Core.Tests;

/// <summary>The lanes' queue: bounded, FIFO, hand-off to parked workers, never running a worker on the writer.</summary>
public class WorkQueueTests
{
    private sealed record Item(int N);

    [Fact]
    public async Task QueuedItems_AreReadInOrder_AndAFullQueueRefusesAtOnce()
    {
        var queue = new WorkQueue<Item>(capacity: 3, workers: 1);
        Assert.True(queue.TryWrite(new(1)));
        Assert.True(queue.TryWrite(new(2)));
        Assert.True(queue.TryWrite(new(3)));
        Assert.False(queue.TryWrite(new(4)));
        Assert.Equal(3, queue.Count);

        var worker = new ParkedWorker<Item>();
        Assert.Equal(1, (await queue.ReadAsync(worker))!.N);
        Assert.Equal(2, (await queue.ReadAsync(worker))!.N);
        Assert.True(queue.TryWrite(new(5)));
        Assert.Equal(3, (await queue.ReadAsync(worker))!.N);
        Assert.Equal(5, (await queue.ReadAsync(worker))!.N);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task AnItem_GoesToAParkedWorker_WhichResumesOffTheWritersThread()
    {
        var queue = new WorkQueue<Item>(capacity: 1, workers: 2);
        var worker = new ParkedWorker<Item>();
        int resumedOn = 0;
        var read = Task.Run(async () =>
        {
            var item = await queue.ReadAsync(worker);
            resumedOn = Environment.CurrentManagedThreadId;
            return item;
        }, TestContext.Current.CancellationToken);
        await DispatcherTests.Eventually(() => !read.IsCompleted && queue.Parked == 1);

        int writerThread = 0;
        bool written = false;
        var writer = new Thread(() =>
        {
            writerThread = Environment.CurrentManagedThreadId;
            written = queue.TryWrite(new(7)); // asserted below: an assertion failing on this thread would crash the host
        });
        writer.Start();
        writer.Join();
        Assert.True(written);

        Assert.Equal(7, (await read.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken))!.N);
        Assert.NotEqual(writerThread, resumedOn);
        Assert.Equal(0, queue.Count); // handed over, never queued
        Assert.True(queue.TryWrite(new(8))); // and the queue's one slot is still free
    }

    [Fact]
    public async Task AParkedWorker_IsReusedForManyWaits_AndTheMostRecentlyParkedGetsTheNextItem()
    {
        var queue = new WorkQueue<Item>(capacity: 1, workers: 2);
        var first = new ParkedWorker<Item>();
        var second = new ParkedWorker<Item>();
        for (int i = 0; i < 1000; i++)
        {
            var a = queue.ReadAsync(first);
            var b = queue.ReadAsync(second);
            Assert.True(queue.TryWrite(new(i)));
            Assert.Equal(i, (await b)!.N); // LIFO: second parked last
            Assert.True(queue.TryWrite(new(-i)));
            Assert.Equal(-i, (await a)!.N);
        }
    }

    [Fact]
    public async Task Complete_WakesParkedWorkersWithNull_LetsOthersDrainTheQueue_AndRefusesNewItems()
    {
        var queue = new WorkQueue<Item>(capacity: 4, workers: 2);
        Assert.True(queue.TryWrite(new(1)));
        Assert.True(queue.TryWrite(new(2)));
        var draining = new ParkedWorker<Item>();

        queue.Complete();

        Assert.False(queue.TryWrite(new(3)));
        Assert.Equal(1, (await queue.ReadAsync(draining))!.N);
        Assert.Equal(2, (await queue.ReadAsync(draining))!.N);
        Assert.Null(await queue.ReadAsync(draining));

        var other = new WorkQueue<Item>(capacity: 4, workers: 2);
        var parked = other.ReadAsync(new ParkedWorker<Item>());
        Assert.False(parked.IsCompleted);
        other.Complete();
        Assert.Null(await parked.AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }
}
