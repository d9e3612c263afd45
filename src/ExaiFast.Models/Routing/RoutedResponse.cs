namespace ExaiFast.Models.Routing;

/// <summary>An answer and how its model was chosen (the route's reason, plus any fallbacks taken).</summary>
/// <param name="Response">The answer.</param>
/// <param name="Reason">Why this model answered.</param>
public readonly record struct RoutedResponse(ModelResponse Response, string Reason);
