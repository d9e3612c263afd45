namespace ExaiFast.Models;

/// <summary>Retries and the circuit breaker of one provider.</summary>
/// <param name="MaxRetries">Retries after the first attempt (connect failures, 408, 429, 5xx only).</param>
/// <param name="RetryBaseDelay">Base of the jittered exponential backoff (a Retry-After header wins).</param>
/// <param name="FailureRatio">Share of failed requests within <paramref name="SamplingDuration"/> that opens the breaker.</param>
/// <param name="MinimumThroughput">Requests within the sampling window before the ratio counts.</param>
/// <param name="SamplingDuration">The window the failure ratio is measured over.</param>
/// <param name="BreakDuration">How long an open breaker refuses before it lets a trial request through.</param>
public sealed record ProviderResilience(int MaxRetries, TimeSpan RetryBaseDelay, double FailureRatio, int MinimumThroughput, TimeSpan SamplingDuration, TimeSpan BreakDuration)
{
    /// <summary>2 retries from 0.5 s; opens at 50% of at least 4 requests in 30 s, for 30 s.</summary>
    public static ProviderResilience Default { get; } = new(2, TimeSpan.FromSeconds(0.5), 0.5, 4, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
}
