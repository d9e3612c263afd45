namespace ExaiFast.Models;

/// <summary>
/// A circuit breaker's state, as status, health, /ready and /metrics show it: of one deployment (a provider's model), or
/// of a provider as a whole (open only when every deployment of it that has been used is open).
/// </summary>
public enum ProviderState
{
    /// <summary>Taking requests.</summary>
    Closed = 0,

    /// <summary>Its break is over: the next request goes through as a probe (one at a time).</summary>
    HalfOpen = 1,

    /// <summary>Refusing requests at once (PROVIDER_UNAVAILABLE with retry_after) until the break ends.</summary>
    Open = 2,
}
