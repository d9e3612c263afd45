using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Routing;

namespace ExaiFast.Tools;

/// <summary>How a tool asks a model: the route's first choice, then its fallbacks, streamed when the client asked.</summary>
internal static class ModelAsk
{
    /// <summary>Asks <paramref name="decision"/>'s chain; the answer and why that model answered.</summary>
    public static ValueTask<RoutedResponse> CompleteAsync(ToolContext context, RouteDecision decision, ModelRequest request, CancellationToken cancellationToken)
    {
        if (decision.Choice.Provider.Name != Models.Local.LocalModelProvider.ProviderName)
        {
            // Worth a frame when a remote model is about to take seconds; the local one answers at once (heartbeats
            // still cover a simulated slow local call).
            context.ReportProgress($"asking {decision.Choice}");
        }

        // The call was admitted to the lane validation chose; it must run in the lane of whichever provider serves it — a
        // fallback's, a continued thread's, or another first choice if a breaker changed state since validation. No
        // delegate (and no allocation) when no provider other than the current lane's can be asked.
        var enterLane = decision.Fallbacks.Count > 0 || !string.Equals(decision.Choice.Provider.Name, context.Lane, StringComparison.Ordinal) ? LaneHop(context) : null;
        return FallbackChain.CompleteAsync(decision, request, context.Stream ? StreamTo(context) : null, enterLane, cancellationToken);
    }

    // Likewise, only for calls that may change lanes.
    private static Func<string, ValueTask> LaneHop(ToolContext context) => context.EnterLaneAsync;

    /// <summary>The answer's text, with a notice when the model stopped at its output limit: a cut answer never passes for a whole one.</summary>
    public static string TextOf(ModelResponse response) =>
        response.Truncated ? response.Text + "\n\n" + Tools.ChatTool.TruncationNotice : response.Text;

    // In its own method so that the closure is allocated only for streaming calls.
    private static Action<string> StreamTo(ToolContext context) => context.EmitChunk;
}
