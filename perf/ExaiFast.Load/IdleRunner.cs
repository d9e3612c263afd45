using System.Diagnostics;

namespace ExaiFast.Load;

/// <summary>
/// Idle connections: open --connections exai-ws connections (64 handshakes at a time), say hello on each, hold them
/// all for --duration, then read the server's resident memory. The growth over the count is the memory an idle
/// connection costs the server. Latency is connect + hello; server CPU is per connection opened.
/// </summary>
internal static class IdleRunner
{
    // Small client buffers: ten thousand connections of the generator's own must not crowd the machine.
    private const int ClientBuffer = 1024;

    public static async Task<RunResult> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory(options);
        var sockets = new WebSocketMessages?[options.Connections];
        var latencies = new Latencies[options.Connections];
        var uri = new Uri(options.Target);
        long? rssBefore = options.ServerPid is int p ? ProcessStats.RssKiB(p) : null;
        var cpu = new CpuWindow(options.ServerPid);
        cpu.Start();
        long start = Stopwatch.GetTimestamp();
        try
        {
            await Parallel.ForAsync(0, options.Connections, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                long began = Stopwatch.GetTimestamp();
                var socket = sockets[i] = await WebSocketMessages.ConnectAsync(uri, null, ct, ClientBuffer);
                await ExaiConnection.HelloAsync(socket, factory.SessionId(i), ct);
                (latencies[i] = new Latencies()).Record(Stopwatch.GetTimestamp() - began);
            });
            var connected = Stopwatch.GetElapsedTime(start);
            cpu.Stop();
            await Task.Delay(options.Duration, cancellationToken);
            long? rssAfter = options.ServerPid is int pid ? ProcessStats.RssKiB(pid) : null;
            var accepted = Latencies.Merge(latencies);
            return new RunResult
            {
                Label = options.Label,
                Mode = options.Mode,
                Connections = options.Connections,
                Size = 0,
                Elapsed = connected,
                Accepted = accepted,
                Refused = new Latencies(),
                AnsweredPerSecond = accepted.Count / connected.TotalSeconds,
                ServerCpu = cpu.Server,
                GeneratorCpu = cpu.Generator,
                ServerRssBeforeKiB = rssBefore,
                ServerRssAfterKiB = rssAfter,
            };
        }
        finally
        {
            await ConnectionFactory.DisposeAllAsync(sockets);
        }
    }
}
