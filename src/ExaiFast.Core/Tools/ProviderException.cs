namespace ExaiFast.Core.Tools;

/// <summary>A model provider failed; becomes PROVIDER_ERROR (or PROVIDER_UNAVAILABLE with a retry time).</summary>
/// <remarks>The message is shown to the client: it must never contain keys, tokens or raw upstream bodies.</remarks>
public sealed class ProviderException(string message, bool unavailable = false, double? retryAfterSeconds = null, string? failure = null) : Exception(message)
{
    /// <summary>What kind of failure it was (a provider's failure label, e.g. <c>ServerError</c>), for traces; null when not told.</summary>
    public string? Failure { get; } = failure;

    /// <summary>True when the provider is known to be down (circuit open).</summary>
    public bool Unavailable { get; } = unavailable;

    /// <summary>When to retry, for an unavailable provider.</summary>
    public double? RetryAfterSeconds { get; } = retryAfterSeconds;
}
