namespace ExaiFast.Models;

/// <summary>A completed answer.</summary>
/// <param name="Text">The answer (never the reasoning).</param>
/// <param name="Provider">Who answered.</param>
/// <param name="Model">Which model.</param>
public readonly record struct ModelResponse(string Text, string Provider, string Model)
{
    /// <summary>Why the model stopped (<c>stop</c>, <c>length</c>, …), when the provider said.</summary>
    public string? FinishReason { get; init; }

    /// <summary>The model's reasoning (<c>reasoning_content</c>), kept apart from the answer; null when there was none.</summary>
    public string? Reasoning { get; init; }

    /// <summary>Tokens used, when the provider reported them.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>The answer was cut at the output token limit (<c>finish_reason=length</c>).</summary>
    public bool Truncated => FinishReason == "length";
}
