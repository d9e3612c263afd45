namespace ExaiFast.Metrics;

/// <summary>One deployment's (provider and model's) requests and tokens since start, as /metrics counts them.</summary>
/// <param name="Provider">The provider's name.</param>
/// <param name="Model">The model's name.</param>
/// <param name="Requests">Requests answered.</param>
/// <param name="Errors">Requests failed, of every kind.</param>
/// <param name="PromptTokens">Prompt tokens the model reported.</param>
/// <param name="CompletionTokens">Completion tokens the model reported.</param>
internal sealed record ModelUsage(string Provider, string Model, long Requests, long Errors, long PromptTokens, long CompletionTokens);
