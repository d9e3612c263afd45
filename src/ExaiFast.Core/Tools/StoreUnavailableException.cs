namespace ExaiFast.Core.Tools;

/// <summary>
/// A shared store (Redis) the call needs cannot be reached; becomes <c>STORE_UNAVAILABLE</c> with a retry time. Calls
/// that need no store are unaffected.
/// </summary>
/// <remarks>The message is shown to the client: it names the store, never its address or password.</remarks>
public sealed class StoreUnavailableException(string message, double retryAfterSeconds = 1, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>When to retry.</summary>
    public double RetryAfterSeconds { get; } = retryAfterSeconds;
}
