namespace ExaiFast.Core.Tools;

/// <summary>
/// A running call could not move to another lane: every slot there is taken and its queue is full. Becomes
/// OVER_CAPACITY with <see cref="RetryAfterSeconds"/>.
/// </summary>
public sealed class LaneFullException(string message, double retryAfterSeconds) : Exception(message)
{
    /// <summary>When to retry.</summary>
    public double RetryAfterSeconds { get; } = retryAfterSeconds;
}
