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
                var probe = await ClosedLoopRunner.RunAsync(options, connections, TimeSpan.FromSeconds(Math.Min(0.5, options.Probe.TotalSeconds / 2)), options.Probe, cancellationToken);
                capacity = probe.AcceptedPerSecond;
                if (!(capacity > 0))
                {
                    throw new InvalidOperationException("the capacity probe got no call accepted");
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
