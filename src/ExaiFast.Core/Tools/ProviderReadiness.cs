namespace ExaiFast.Core.Tools;

/// <summary>A provider in /ready.</summary>
/// <param name="Name">The provider (<c>kimi</c>, <c>glm</c>, <c>openai</c>).</param>
/// <param name="Up">False only when every deployment of it that has been used has its circuit breaker open.</param>
/// <param name="Deployments">Its models that have been used, each with its breaker's state.</param>
public sealed record ProviderReadiness(string Name, bool Up, IReadOnlyList<DeploymentReadiness> Deployments);
