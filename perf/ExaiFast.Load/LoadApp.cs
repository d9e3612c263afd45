namespace ExaiFast.Load;

/// <summary>Runs the mode the options name and returns what it measured (the program prints it; tests read it).</summary>
internal static class LoadApp
{
    public static async Task<RunResult> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        if (options.Mode == "idle")
        {
            return await IdleRunner.RunAsync(options, cancellationToken);
        }

        var factory = new ConnectionFactory(options);
        var connections = await factory.ConnectAllAsync(cancellationToken);
        try
        {
            if (options.Rate is not RateSpec rate)
            {
                return await ClosedLoopRunner.RunAsync(options, connections, options.Warmup, options.Duration, cancellationToken);
            }

            double? capacity = null;
            if (rate.RelativeToCapacity)
            {
                // The probe is the warm-up too: a closed loop on the same connections, the accepted calls/s its capacity.
                // A cold server on a loaded machine may answer nothing inside a short window (its first calls are
                // being jitted): the probe is then repeated, twice as long each time, before the run gives up.
                var window = options.Probe;
                for (int attempt = 0; attempt < 5 && !(capacity > 0); attempt++, window *= 2)
                {
                    var probe = await ClosedLoopRunner.RunAsync(options, connections, TimeSpan.FromSeconds(Math.Min(0.5, window.TotalSeconds / 2)), window, cancellationToken);
                    capacity = probe.AcceptedPerSecond;
                }

                if (!(capacity > 0))
                {
                    throw new InvalidOperationException($"the capacity probe got no call accepted (five probes, the last {window / 2})");
                }
            }

            var result = await OpenLoopRunner.RunAsync(options, connections, rate.Resolve(capacity ?? 0), cancellationToken);
            return result with { ProbedCapacity = capacity };
        }
        finally
        {
            await ConnectionFactory.DisposeAllAsync(connections);
        }
    }
}
