namespace ExaiFast.Models;

/// <summary>Retries of one provider, and the circuit breaker each of its models (deployments) gets.</summary>
/// <param name="MaxRetries">Retries after the first attempt (connect failures, 408, 429, 5xx only).</param>
/// <param name="RetryBaseDelay">Base of the jittered exponential backoff (a Retry-After header wins).</param>
/// <param name="FailureRatio">Share of a deployment's failed calls within <paramref name="SamplingDuration"/> that opens its breaker.</param>
/// <param name="MinimumThroughput">Calls of a deployment within the sampling window before the ratio counts.</param>
/// <param name="SamplingDuration">The window the failure ratio is measured over.</param>
/// <param name="BreakDuration">How long an open breaker refuses before it lets a probe through.</param>
/// <param name="ConsecutiveFailures">Failed calls in a row that open a deployment's breaker, however sparse they were.</param>
public sealed record ProviderResilience(int MaxRetries, TimeSpan RetryBaseDelay, double FailureRatio, int MinimumThroughput, TimeSpan SamplingDuration, TimeSpan BreakDuration,
    int ConsecutiveFailures = ProviderResilience.DefaultConsecutiveFailures)
{
    /// <summary>Failed calls in a row that open a breaker by default.</summary>
    public const int DefaultConsecutiveFailures = 5;

    /// <summary>2 retries from 0.5 s; a deployment opens after 5 failed calls in a row or 50% of at least 4 in 30 s, for 30 s.</summary>
    public static ProviderResilience Default { get; } = new(2, TimeSpan.FromSeconds(0.5), 0.5, 4, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
}
