namespace ExaiFast.Models;

/// <summary>Receives what providers did, for /metrics; the composition root implements it. Must be thread-safe and cheap.</summary>
public interface IProviderObserver
{
    /// <summary>A request was answered.</summary>
    void OnCompleted(string provider, string model, TokenUsage? usage, TimeSpan elapsed);

    /// <summary>A request failed (not counted: the caller's own cancellation or deadline).</summary>
    void OnFailed(string provider, string model, ProviderFailure failure);

    /// <summary>A provider's circuit breaker opened: its calls are refused for <paramref name="breakDuration"/>.</summary>
    void OnBreakerOpened(string provider, TimeSpan breakDuration)
    {
    }
}
