namespace ExaiFast.Models;

/// <summary>The router's choice, why, and what to try next if it fails before its first streamed chunk.</summary>
/// <param name="Choice">The provider and model to ask first.</param>
/// <param name="Reason">Why, in words (shown in the result's metadata).</param>
/// <param name="Fallbacks">Next models of the chain, in order; empty for an explicit model.</param>
public sealed record RouteDecision(ModelChoice Choice, string Reason, IReadOnlyList<ModelChoice> Fallbacks);
