using ExaiFast.Core.Dispatch;

namespace ExaiFast.Hosting;

/// <summary>What the <c>status</c> tool reports under <c>stdio --in-process</c>: one client, no sockets, this dispatcher.</summary>
internal sealed class InProcessStatus(Dispatcher dispatcher, TimeProvider time) : IDaemonStatus
{
    private readonly long _started = time.GetTimestamp();

    public double UptimeSeconds => time.GetElapsedTime(_started).TotalSeconds;

    public int Connections => 0;

    public int Sessions => 1;

    public int Inflight => dispatcher.Inflight;

    public int Queued => dispatcher.Queued;

    public int Capacity => dispatcher.Capacity;

    public MemoryPressure Memory => dispatcher.MemoryPressure;
}
