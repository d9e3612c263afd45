using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools;

/// <summary>
/// The route a model-backed tool's validation chose (its first choice is the lane the call is admitted to), carried to
/// the run as <see cref="ToolContext.Plan"/> so that a call is routed once.
/// </summary>
/// <param name="Route">What the call asked of the route (model, thinking mode, web search, images).</param>
/// <param name="Decision">The model and its fallbacks.</param>
internal sealed record RoutePlan(RouteRequest Route, RouteDecision Decision)
{
    /// <summary>The model validation took the continued thread to have (from the store's cache of it).</summary>
    public string? ThreadModel => Route.ThreadModel;

    /// <summary>
    /// The planned route, if it still holds for the thread the run loaded: null when the thread's model is not the one
    /// validation assumed (a thread another daemon wrote, not in this one's cache) or when the call came without a plan
    /// (submitted straight to the dispatcher); the run routes then. A breaker that opened since is the fallback chain's
    /// business, not a reason to route again.
    /// </summary>
    public static RoutePlan? Of(ToolContext context, ConversationThread? thread) =>
        context.Plan is RoutePlan plan && plan.ThreadModel == thread?.Model ? plan : null;
}
