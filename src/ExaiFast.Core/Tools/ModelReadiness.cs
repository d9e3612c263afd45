namespace ExaiFast.Core.Tools;

/// <summary>The model providers as /ready shows them, read once per request so that its parts agree.</summary>
/// <param name="Usable">
/// Whether a model can answer now: no provider is configured (the offline model answers), or some provider is up.
/// /ready is 503 while false.
/// </param>
/// <param name="Providers">Each provider that calls a model API, in preference order.</param>
public sealed record ModelReadiness(bool Usable, IReadOnlyList<ProviderReadiness> Providers);
