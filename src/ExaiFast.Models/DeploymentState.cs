namespace ExaiFast.Models;

/// <summary>The circuit breaker of one deployment (a provider's model), as status, /ready and /metrics show it.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="State">Its breaker's state.</param>
/// <param name="RetryAfter">Time until a probe may go (zero unless open).</param>
public readonly record struct DeploymentState(string Model, ProviderState State, TimeSpan RetryAfter);
