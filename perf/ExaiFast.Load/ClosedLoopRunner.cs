using System.Diagnostics;

namespace ExaiFast.Load;

/// <summary>
/// N closed loops: each connection sends a request, waits for its answer, sends the next. Latency counts from the
/// send. Stopping lets each loop finish the request it has out, so the connections stay usable (an open loop may
/// follow a capacity probe on the same connections).
/// </summary>
internal static class ClosedLoopRunner
{
    public static async Task<RunResult> RunAsync(LoadOptions options, IReadOnlyList<ILoadConnection> connections, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        int n = connections.Count;
        var accepted = new Latencies[n];
        var refused = new Latencies[n];
        var failed = new long[n];
        long measureFrom = long.MaxValue, measureUntil = long.MaxValue;
        bool stopping = false;
        int warm = 0; // loops that have had their first answer
        var allWarm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task LoopAsync(int i)
        {
            var connection = connections[i];
            var ok = accepted[i] = new Latencies();
            var no = refused[i] = new Latencies();
            for (long sequence = 0; !Volatile.Read(ref stopping); sequence++)
            {
                long start = Stopwatch.GetTimestamp();
                Reply reply;
                try
                {
                    await connection.SendAsync(sequence, abort.Token);
                    do
                    {
                        reply = await connection.ReceiveAsync(abort.Token);
                    }
                    while (reply.Kind != ReplyKind.Closed && reply.Sequence != sequence && reply.Sequence != -1);
                }
                catch (Exception) when (abort.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    failed[i]++;
                    await Console.Error.WriteLineAsync($"connection {i}: {ex.GetType().Name}: {ex.Message}");
                    return;
                }

                long end = Stopwatch.GetTimestamp();
                if (sequence == 0 && Interlocked.Increment(ref warm) == n)
                {
                    allWarm.TrySetResult();
                }

                if (start < Volatile.Read(ref measureFrom) || end > Volatile.Read(ref measureUntil))
                {
                    if (reply.Kind == ReplyKind.Closed)
                    {
                        return;
                    }

                    continue;
                }

                switch (reply.Kind)
                {
                    case ReplyKind.Ok:
                        ok.Record(end - start);
                        break;
                    case ReplyKind.Refused:
                        no.Record(end - start);
                        break;
                    case ReplyKind.Failed:
                        failed[i]++;
                        break;
                    default:
                        failed[i]++; // the peer closed mid-run
                        return;
                }
            }
        }

        var cpu = new CpuWindow(options.ServerPid);
        long from = 0;
        if (options.MeasureFromStart)
        {
            // A cold run: the window is open before the first send, so the calls a fresh server answers while it
            // still jits them are the ones measured.
            cpu.Start();
            from = Stopwatch.GetTimestamp();
            measureFrom = from;
        }

        var loops = Enumerable.Range(0, n).Select(i => Task.Run(() => LoopAsync(i), CancellationToken.None)).ToArray();
        if (!options.MeasureFromStart)
        {
            // The window opens after the warm-up and once every connection has had an answer: a cold server's first
            // calls (being jitted, on a loaded machine) could otherwise fill a short window with nothing (bounded by
            // the drain time).
            await Task.WhenAll(Task.Delay(warmup, cancellationToken), Task.WhenAny(allWarm.Task, Task.WhenAll(loops), Task.Delay(options.Drain, cancellationToken)));
            cpu.Start();
            from = Stopwatch.GetTimestamp();
            Volatile.Write(ref measureFrom, from);
        }

        await Task.Delay(duration, cancellationToken);
        long until = Stopwatch.GetTimestamp();
        Volatile.Write(ref measureUntil, until);
        cpu.Stop();
        Volatile.Write(ref stopping, true);

        // Each loop has at most one request out; one that never comes back is aborted after the drain time.
        var all = Task.WhenAll(loops);
        if (await Task.WhenAny(all, Task.Delay(options.Drain + TimeSpan.FromSeconds(1), CancellationToken.None)) != all)
        {
            await abort.CancelAsync();
        }

        await all;
        var acceptedAll = Latencies.Merge(accepted.Where(l => l is not null));
        var refusedAll = Latencies.Merge(refused.Where(l => l is not null));
        var elapsed = Stopwatch.GetElapsedTime(from, until);
        return new RunResult
        {
            Label = options.Label,
            Mode = options.Mode,
            Connections = n,
            Size = options.Size,
            Elapsed = elapsed,
            Accepted = acceptedAll,
            Refused = refusedAll,
            Failed = failed.Sum(),
            AnsweredPerSecond = (acceptedAll.Count + refusedAll.Count + failed.Sum()) / elapsed.TotalSeconds,
            ServerCpu = cpu.Server,
            GeneratorCpu = cpu.Generator,
        };
    }
}
