namespace ExaiFast.Models;

/// <summary>Receives what providers did, for /metrics; the composition root implements it. Must be thread-safe and cheap.</summary>
public interface IProviderObserver
{
    /// <summary>A request was answered.</summary>
    void OnCompleted(string provider, string model, TokenUsage? usage, TimeSpan elapsed);

    /// <summary>
    /// A request failed (not counted: the caller's own cancellation or deadline); <paramref name="spend"/> is the
    /// request's <see cref="ModelRequest.Spend"/>, which names the call it was made for (null outside a call).
    /// </summary>
    void OnFailed(string provider, string model, ProviderFailure failure, ExaiFast.Core.Tools.CallSpend? spend);

    /// <summary>A deployment's circuit breaker opened (or a failed probe opened it again): its calls are refused for <paramref name="breakDuration"/>.</summary>
    void OnBreakerOpened(string provider, string model, TimeSpan breakDuration)
    {
    }
}
