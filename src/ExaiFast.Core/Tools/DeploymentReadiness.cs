namespace ExaiFast.Core.Tools;

/// <summary>One deployment (a provider's model) in /ready.</summary>
/// <param name="Model">The model.</param>
/// <param name="State">Its circuit breaker: <c>closed</c>, <c>half_open</c> or <c>open</c>.</param>
public readonly record struct DeploymentReadiness(string Model, string State);
