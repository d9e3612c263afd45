namespace ExaiFast.Models;

/// <summary>What a deployment's circuit breaker made of a call about to be sent.</summary>
internal enum BreakerPass
{
    /// <summary>Refused at once: the breaker is open, or its one probe is on its way.</summary>
    Refused,

    /// <summary>Let through; the breaker is closed.</summary>
    Call,

    /// <summary>Let through as the one trial after a break: its outcome closes or re-opens the breaker.</summary>
    Probe,
}
