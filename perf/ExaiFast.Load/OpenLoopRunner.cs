using System.Diagnostics;

namespace ExaiFast.Load;

/// <summary>
/// An open loop: requests arrive at a constant rate (<see cref="OpenLoopSchedule"/>), round-robin over the
/// connections, whether or not earlier ones were answered. A dedicated pacer thread sends each at its due time;
/// one receiver per connection times each answer from the request's intended send time.
/// </summary>
internal static class OpenLoopRunner
{
    // Request 0 is due this long after the pacer starts, so the first requests are not all late.
    private static readonly TimeSpan Lead = TimeSpan.FromMilliseconds(20);

    public static async Task<RunResult> RunAsync(LoadOptions options, IReadOnlyList<ILoadConnection> connections, double rate, CancellationToken cancellationToken)
    {
        var lanes = connections.Select(c => new OpenLoopLane(c)).ToArray();
        var schedule = new OpenLoopSchedule(rate, Stopwatch.GetTimestamp() + (long)(Lead.TotalSeconds * Stopwatch.Frequency), options.Warmup, options.Duration);
        long windowStart = schedule.IntendedTimestamp(schedule.FirstMeasured);
        long windowEnd = schedule.IntendedTimestamp(schedule.End);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var receivers = lanes.Select(lane => Task.Run(() => ReceiveAsync(lane, schedule, windowStart, windowEnd, stop.Token), CancellationToken.None)).ToArray();
        var senders = lanes.Select(lane => SendAsync(lane, schedule, stop.Token)).ToArray();

        var cpu = new CpuWindow(options.ServerPid);
        var pacer = new Thread(() => Pace(lanes, schedule, options.MaxOutstanding, cpu, stop.Token)) { IsBackground = true, Name = "open-loop pacer" };
        pacer.Start();
        await Task.Run(pacer.Join, CancellationToken.None);
        cpu.Stop();

        // The schedule is over; wait for the answers still out, at most --drain.
        long drainUntil = Stopwatch.GetTimestamp() + (long)(options.Drain.TotalSeconds * Stopwatch.Frequency);
        while (lanes.Any(l => Volatile.Read(ref l.Outstanding) > 0 && !l.Dead) && Stopwatch.GetTimestamp() < drainUntil)
        {
            await Task.Delay(10, CancellationToken.None);
        }

        await stop.CancelAsync();
        foreach (var lane in lanes)
        {
            lane.Queue.Writer.TryComplete();
        }

        await Task.WhenAll(receivers.Concat(senders));

        var accepted = Latencies.Merge(lanes.Select(l => l.Accepted));
        var refused = Latencies.Merge(lanes.Select(l => l.Refused));
        var elapsed = Stopwatch.GetElapsedTime(windowStart, windowEnd);
        return new RunResult
        {
            Label = options.Label,
            Mode = options.Mode,
            Connections = lanes.Length,
            Size = options.Size,
            Elapsed = elapsed,
            Accepted = accepted,
            Refused = refused,
            Failed = lanes.Sum(l => l.Failed),
            Dropped = lanes.Sum(l => l.Dropped),
            Lost = lanes.Sum(l => l.MeasuredSent - l.MeasuredAnswered),
            OfferedRate = rate,
            SendLag = Latencies.Merge(lanes.Select(l => l.SendLag)),
            AnsweredPerSecond = lanes.Sum(l => l.AnsweredInWindow) / elapsed.TotalSeconds,
            ServerCpu = cpu.Server,
            GeneratorCpu = cpu.Generator,
        };
    }

    private static void Pace(OpenLoopLane[] lanes, OpenLoopSchedule schedule, int maxOutstanding, CpuWindow cpu, CancellationToken cancellationToken)
    {
        long next = 0;
        bool measuring = false;
        while (next < schedule.End && !cancellationToken.IsCancellationRequested)
        {
            long due = schedule.DueBy(Stopwatch.GetTimestamp());
            for (; next < due; next++)
            {
                bool measured = schedule.IsMeasured(next);
                if (measured && !measuring)
                {
                    measuring = true;
                    cpu.Start();
                }

                var lane = lanes[next % lanes.Length];
                if (lane.Dead)
                {
                    lane.MeasuredSent += measured ? 1 : 0; // never answered: lost
                    continue;
                }

                if (Volatile.Read(ref lane.Outstanding) >= maxOutstanding)
                {
                    lane.Dropped += measured ? 1 : 0;
                    continue;
                }

                Interlocked.Increment(ref lane.Outstanding);
                lane.MeasuredSent += measured ? 1 : 0;
                lane.Queue.Writer.TryWrite(next);
            }

            if (next < schedule.End)
            {
                PreciseSleep.Until(schedule.IntendedTimestamp(next), TimeSpan.FromMilliseconds(5));
            }
        }
    }

    private static async Task SendAsync(OpenLoopLane lane, OpenLoopSchedule schedule, CancellationToken cancellationToken)
    {
        var reader = lane.Queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out long sequence))
                {
                    if (schedule.IsMeasured(sequence))
                    {
                        lane.SendLag.Record(Stopwatch.GetTimestamp() - schedule.IntendedTimestamp(sequence));
                    }

                    await lane.Connection.SendAsync(sequence, cancellationToken);
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // the run is over
        }
        catch (Exception ex)
        {
            lane.Dead = true;
            await Console.Error.WriteLineAsync($"send failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static async Task ReceiveAsync(OpenLoopLane lane, OpenLoopSchedule schedule, long windowStart, long windowEnd, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var reply = await lane.Connection.ReceiveAsync(cancellationToken);
                if (reply.Kind == ReplyKind.Closed)
                {
                    lane.Dead = true;
                    return;
                }

                long now = Stopwatch.GetTimestamp();
                Interlocked.Decrement(ref lane.Outstanding);
                if (now >= windowStart && now < windowEnd)
                {
                    lane.AnsweredInWindow++;
                }

                if (reply.Sequence < 0 || reply.Sequence >= schedule.End)
                {
                    lane.Failed++; // an answer to no request of ours
                    continue;
                }

                if (!schedule.IsMeasured(reply.Sequence))
                {
                    continue;
                }

                lane.MeasuredAnswered++;
                long latency = now - schedule.IntendedTimestamp(reply.Sequence);
                switch (reply.Kind)
                {
                    case ReplyKind.Ok:
                        lane.Accepted.Record(latency);
                        break;
                    case ReplyKind.Refused:
                        lane.Refused.Record(latency);
                        break;
                    default:
                        lane.Failed++;
                        break;
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // the run is over: what is still out is counted as lost
        }
        catch (Exception ex)
        {
            lane.Dead = true;
            await Console.Error.WriteLineAsync($"receive failed: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
