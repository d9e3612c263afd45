namespace ExaiFast.Models;

/// <summary>Tokens a completion used, as the provider reported them.</summary>
/// <param name="PromptTokens">Input tokens.</param>
/// <param name="CompletionTokens">Output tokens (reasoning included, where the provider counts it there).</param>
public readonly record struct TokenUsage(long PromptTokens, long CompletionTokens);
