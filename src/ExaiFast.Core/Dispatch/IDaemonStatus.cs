namespace ExaiFast.Core.Dispatch;

/// <summary>Live numbers the <c>status</c> tool and the <c>health</c> op report.</summary>
public interface IDaemonStatus
{
    /// <summary>Seconds since start.</summary>
    double UptimeSeconds { get; }

    /// <summary>Open WebSocket connections.</summary>
    int Connections { get; }

    /// <summary>Sessions with a live connection.</summary>
    int Sessions { get; }

    /// <summary>Calls admitted and not finished.</summary>
    int Inflight { get; }

    /// <summary>Calls waiting in queues.</summary>
    int Queued { get; }

    /// <summary>Slots in all lanes.</summary>
    int Capacity { get; }

    /// <summary>The memory monitor's level (new calls are refused at <see cref="MemoryPressure.Critical"/>).</summary>
    MemoryPressure Memory { get; }
}
