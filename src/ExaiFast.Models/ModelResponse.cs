namespace ExaiFast.Models;

/// <summary>A completed answer.</summary>
/// <param name="Text">The answer.</param>
/// <param name="Provider">Who answered.</param>
/// <param name="Model">Which model.</param>
public readonly record struct ModelResponse(string Text, string Provider, string Model);
