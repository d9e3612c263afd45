namespace ExaiFast.Models;

/// <summary>A provider's circuit breaker, as status, health, /ready and /metrics show it.</summary>
public enum ProviderState
{
    /// <summary>Taking requests.</summary>
    Closed = 0,

    /// <summary>Letting a trial request through after a break.</summary>
    HalfOpen = 1,

    /// <summary>Refusing requests at once (PROVIDER_UNAVAILABLE with retry_after) until the break ends.</summary>
    Open = 2,
}
