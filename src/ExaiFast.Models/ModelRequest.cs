namespace ExaiFast.Models;

/// <summary>A completion request.</summary>
/// <param name="Model">The model, or null for the provider's default.</param>
/// <param name="SystemPrompt">Instructions for the model.</param>
/// <param name="Prompt">The user's text (with any conversation history already folded in).</param>
/// <param name="Temperature">0–1.</param>
/// <param name="LatencyMs">For the local model only: simulated latency of this request (overrides LOCAL_MODEL_LATENCY_MS).</param>
public readonly record struct ModelRequest(string? Model, string SystemPrompt, string Prompt, double Temperature = 0.5, int? LatencyMs = null);
