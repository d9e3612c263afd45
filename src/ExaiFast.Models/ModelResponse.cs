namespace ExaiFast.Models;

/// <summary>A completed answer.</summary>
/// <param name="Text">The answer.</param>
/// <param name="Provider">Who answered.</param>
/// <param name="Model">Which model.</param>
public sealed record ModelResponse(string Text, string Provider, string Model);
