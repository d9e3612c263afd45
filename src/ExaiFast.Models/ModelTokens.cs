namespace ExaiFast.Models;

/// <summary>Tokens one model of one provider has used since the daemon started, as the provider reported them.</summary>
/// <param name="Provider">The provider's name.</param>
/// <param name="Model">The model.</param>
/// <param name="PromptTokens">Input tokens.</param>
/// <param name="CompletionTokens">Output tokens.</param>
public readonly record struct ModelTokens(string Provider, string Model, long PromptTokens, long CompletionTokens);
