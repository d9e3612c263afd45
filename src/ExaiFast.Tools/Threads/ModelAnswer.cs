using ExaiFast.Models;

namespace ExaiFast.Tools.Threads;

/// <summary>What a tool's model said (<see cref="ModelAsk.AskAsync"/>).</summary>
/// <param name="Response">The response: provider, model, usage.</param>
/// <param name="Text">Its text, with a notice when the model stopped at its output limit.</param>
/// <param name="Reason">Why that model answered (the route, any fallback, history left out).</param>
internal readonly record struct ModelAnswer(ModelResponse Response, string Text, string Reason);
