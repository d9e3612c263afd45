using ExaiFast.Core.Dispatch;

namespace ExaiFast.Hosting;

/// <summary>
/// Lets the <c>status</c> tool read the front door that itself needs the tool catalog: the only cycle in the
/// composition, broken by resolving on first use (the container guarantees a single instance).
/// </summary>
internal sealed class LazyStatus(Func<IDaemonStatus> resolve) : IDaemonStatus
{
    private IDaemonStatus Status => resolve();

    public double UptimeSeconds => Status.UptimeSeconds;

    public int Connections => Status.Connections;

    public int Sessions => Status.Sessions;

    public int Inflight => Status.Inflight;

    public int Queued => Status.Queued;

    public int Capacity => Status.Capacity;

    public MemoryPressure Memory => Status.Memory;
}
