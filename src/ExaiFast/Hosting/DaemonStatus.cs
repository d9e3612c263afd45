using ExaiFast.Core.Dispatch;
using ExaiFast.Server;

namespace ExaiFast.Hosting;

/// <summary>
/// The daemon's live status, one per process: made with the dispatcher at the composition root and handed to everything
/// that reports it — the <c>status</c> tool, exai-ws <c>health</c>, <c>/ready</c>, the health file, the dashboard.
/// </summary>
/// <remarks>
/// The doors count the clients, and they are made after the tools (they serve them) while the <c>status</c> tool is one
/// of the tools: so the composition root names the doors with <see cref="Count"/> once they exist, before anything is
/// accepted. Until then no client is counted.
/// </remarks>
internal sealed class DaemonStatus(Dispatcher dispatcher, TimeProvider time) : IDaemonStatus
{
    private readonly long _started = time.GetTimestamp();
    private IClientCounts? _clients;

    /// <summary>Counts the clients of <paramref name="clients"/> from now on; once per process.</summary>
    /// <exception cref="InvalidOperationException">The clients are counted already.</exception>
    public void Count(IClientCounts clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        if (Interlocked.CompareExchange(ref _clients, clients, null) is not null)
        {
            throw new InvalidOperationException("the daemon's clients are counted already");
        }
    }

    /// <inheritdoc />
    public double UptimeSeconds => time.GetElapsedTime(_started).TotalSeconds;

    /// <inheritdoc />
    public int Connections => Volatile.Read(ref _clients)?.Connections ?? 0;

    /// <inheritdoc />
    public int Sessions => Volatile.Read(ref _clients)?.Sessions ?? 0;

    /// <inheritdoc />
    public int Inflight => dispatcher.Inflight;

    /// <inheritdoc />
    public int Queued => dispatcher.Queued;

    /// <inheritdoc />
    public int Capacity => dispatcher.Capacity;

    /// <inheritdoc />
    public MemoryPressure Memory => dispatcher.MemoryPressure;
}
