using System.Threading.Channels;

namespace ExaiFast.Load;

/// <summary>
/// One connection of an open loop: the pacer hands it due requests through <see cref="Queue"/>; its sender sends
/// them in order, its receiver times the answers. Counters are written by one side each (noted per field).
/// </summary>
internal sealed class OpenLoopLane(ILoadConnection connection)
{
    public ILoadConnection Connection { get; } = connection;

    // AllowSynchronousContinuations: the pacer's TryWrite runs the waiting sender inline, so a request goes out on
    // the pacer's thread at its due time instead of after a thread-pool hop; a sender busy with a slow send just
    // finds the request queued when it comes back.
    public Channel<long> Queue { get; } = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });

    /// <summary>Sent (or queued) and not yet answered: incremented by the pacer, decremented by the receiver.</summary>
    public long Outstanding;

    /// <summary>Measured requests handed to the sender (pacer).</summary>
    public long MeasuredSent;

    /// <summary>Measured requests dropped for --max-outstanding (pacer).</summary>
    public long Dropped;

    /// <summary>Measured requests answered, whatever the answer (receiver).</summary>
    public long MeasuredAnswered;

    /// <summary>Answers received inside the measured wall-clock window (receiver).</summary>
    public long AnsweredInWindow;

    /// <summary>Failed answers to measured requests, and answers naming no request of ours (receiver).</summary>
    public long Failed;

    /// <summary>Set when a send failed: the pacer stops feeding this connection.</summary>
    public volatile bool Dead;

    public Latencies Accepted { get; } = new();

    /// <summary>How late each measured request went out after its intended time (sender): the generator's own lag.</summary>
    public Latencies SendLag { get; } = new();

    public Latencies Refused { get; } = new();
}
