using System.Diagnostics;
using HdrHistogram;

namespace ExaiFast.Load;

/// <summary>Runs N closed loops for a warm-up and then a measured period; merges per-loop histograms.</summary>
internal static class LoadRunner
{
    /// <summary>A connected loop: one round trip per call, returning false when the peer went away.</summary>
    public interface ILoop : IAsyncDisposable
    {
        ValueTask<bool> RoundTripAsync(CancellationToken cancellationToken);
    }

    public static async Task<RunResult> RunAsync(LoadOptions options, Func<int, Task<ILoop>> connect)
    {
        var loops = new ILoop[options.Connections];
        for (int i = 0; i < loops.Length; i++)
        {
            loops[i] = await connect(i);
        }

        var histograms = new LongHistogram[loops.Length];
        var counts = new long[loops.Length];
        using var stop = new CancellationTokenSource();
        long measureFrom = 0;
        var tasks = loops.Select((loop, i) => Task.Run(async () =>
        {
            var h = histograms[i] = new LongHistogram(TimeStamp.Seconds(60), 3);
            while (!stop.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    if (!await loop.RoundTripAsync(stop.Token))
                    {
                        return;
                    }
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    return; // stopping aborts whatever the loop was doing (ClientWebSocket aborts its socket)
                }


                long end = Stopwatch.GetTimestamp();
                long from = Volatile.Read(ref measureFrom);
                if (from != 0 && start >= from)
                {
                    h.RecordValue(end - start);
                    counts[i]++;
                }
            }
        })).ToArray();

        await Task.Delay(options.Warmup);
        long measureStart = Stopwatch.GetTimestamp();
        Volatile.Write(ref measureFrom, measureStart);
        await Task.Delay(options.Duration);
        stop.Cancel();
        var elapsed = Stopwatch.GetElapsedTime(measureStart);
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (OperationCanceledException)
        {
            // loops stop mid-operation
        }

        foreach (var loop in loops)
        {
            await loop.DisposeAsync();
        }

        var total = new LongHistogram(TimeStamp.Seconds(60), 3);
        foreach (var h in histograms.Where(h => h is not null))
        {
            total.Add(h);
        }

        return new RunResult(options.Label, options.Connections, options.Size, counts.Sum(), elapsed, total);
    }
}
