using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Routing;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools;

/// <summary>How a tool asks a model: the route's first choice, then its fallbacks, streamed when the client asked.</summary>
internal static class ModelAsk
{
    /// <summary>
    /// Asks <paramref name="decision"/>'s model what <paramref name="current"/> says, after as much of
    /// <paramref name="thread"/>'s history as fits its context window (<see cref="HistoryWindow"/>), with the call's options:
    /// what every tool that answers in a conversation (chat, a workflow's final step) does the same way.
    /// </summary>
    /// <param name="context">The call.</param>
    /// <param name="decision">The model, and its fallbacks.</param>
    /// <param name="route">The thinking mode and web search the call asked for.</param>
    /// <param name="systemPrompt">The tool's system prompt.</param>
    /// <param name="thread">The conversation continued, if any.</param>
    /// <param name="current">This call's message.</param>
    /// <param name="temperature">The call's temperature.</param>
    /// <param name="latencyMs">The local model's simulated latency for this call, if asked.</param>
    /// <param name="time">The dispatcher's clock, to tell a provider how long the call has left.</param>
    /// <param name="cancellationToken">The call's token.</param>
    public static async ValueTask<ModelAnswer> AskAsync(ToolContext context, RouteDecision decision, RouteRequest route, string systemPrompt,
        ConversationThread? thread, ChatMessage current, double temperature, int? latencyMs, TimeProvider time, CancellationToken cancellationToken)
    {
        var messages = HistoryWindow.Build(systemPrompt, thread, current, decision.Choice.Model, out int dropped);
        var request = new ModelRequest
        {
            Messages = messages,
            Temperature = temperature,
            ThinkingMode = route.ThinkingMode,
            UseWebSearch = route.UseWebSearch,
            LatencyMs = latencyMs,
            TimeLeft = context.TimeLeft(time),
        };

        var (response, reason) = await CompleteAsync(context, decision, request, cancellationToken).ConfigureAwait(false);
        if (dropped > 0)
        {
            reason += $"; {dropped} oldest turn(s) left out to fit the context window";
        }

        return new ModelAnswer(response, TextOf(response), reason);
    }

    /// <summary>Asks <paramref name="decision"/>'s chain; the answer and why that model answered.</summary>
    /// <remarks>
    /// The call was admitted to the lane of the route's first choice; it must run in the lane of whichever provider
    /// serves it, so that provider's limit is the one that counts: a fallback, or the next choice when the first one's
    /// breaker opened while the call waited, moves it there through the dispatcher first.
    /// </remarks>
    public static async ValueTask<RoutedResponse> CompleteAsync(ToolContext context, RouteDecision decision, ModelRequest request, CancellationToken cancellationToken)
    {
        if (decision.Choice.Provider.Name != Models.Local.LocalModelProvider.ProviderName)
        {
            // Worth a frame when a remote model is about to take seconds; the local one answers at once (heartbeats
            // still cover a simulated slow local call).
            context.ReportProgress($"asking {decision.Choice}");
        }

        if (request.Spend is null)
        {
            request = request with { Spend = context.Spend };
        }

        var onToken = context.Stream ? StreamTo(context) : null;
        if (decision.Fallbacks.Count == 0)
        {
            // The usual case (an explicit model, the local model): one model, no chain to keep.
            var only = decision.Choice;
            await EnterLaneAsync(context, only, notes: null).ConfigureAwait(false);
            var response = await only.Provider.CompleteAsync(request with { Model = only.Model.Name }, onToken, cancellationToken).ConfigureAwait(false);
            return new RoutedResponse(response, decision.Reason);
        }

        var chain = new FallbackChain(decision, onToken);
        while (chain.TryNext(out var choice))
        {
            await EnterLaneAsync(context, choice, chain.Notes).ConfigureAwait(false);
            if (await chain.AskAsync(request, cancellationToken).ConfigureAwait(false) is { } answered)
            {
                return answered;
            }
        }

        throw new InvalidOperationException("unreachable: the last model's failure propagates");
    }

    // A lane that refuses is not the provider's failure: it ends the call (OVER_CAPACITY), saying what came before it.
    private static ValueTask EnterLaneAsync(ToolContext context, ModelChoice choice, string? notes)
    {
        string lane = choice.Provider.Name;
        if (string.Equals(lane, context.Lane, StringComparison.Ordinal))
        {
            return ValueTask.CompletedTask;
        }

        return notes is null ? context.EnterLaneAsync(lane) : Explained(context, lane, choice, notes);

        // The dispatcher may refuse before it returns a task: the call to it is inside the try.
        static async ValueTask Explained(ToolContext context, string lane, ModelChoice choice, string notes)
        {
            try
            {
                await context.EnterLaneAsync(lane).ConfigureAwait(false);
            }
            catch (LaneFullException ex)
            {
                throw new LaneFullException($"{ex.Message}, so {choice} was not asked; before it: {notes}", ex.RetryAfterSeconds);
            }
        }
    }

    /// <summary>The tokens the provider reported, if it did.</summary>
    public static TokenCounts? UsageOf(ModelResponse response) =>
        response.Usage is { } u ? new TokenCounts(u.PromptTokens, u.CompletionTokens) : null;

    /// <summary>The answer's text, with a notice when the model stopped at its output limit: a cut answer never passes for a whole one.</summary>
    public static string TextOf(ModelResponse response) =>
        response.Truncated ? response.Text + "\n\n" + Tools.ChatTool.TruncationNotice : response.Text;

    // In its own method so that the closure is allocated only for streaming calls.
    private static Action<string> StreamTo(ToolContext context) => context.EmitChunk;
}
