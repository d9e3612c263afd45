using ExaiFast.Core.Tools;

namespace ExaiFast.Models.Routing;

/// <summary>
/// Asks a route's models in order: the next one when a model's breaker is open, or when it fails before its first
/// streamed chunk — never after one, since the client has then seen part of an answer that another model would not
/// continue.
/// </summary>
/// <remarks>
/// Each provider is asked from its own lane: before a provider is asked, <c>enterLane</c> moves the call into that
/// provider's lane (the call's slot in the lane it was in is given back), so its concurrency limit is the one that
/// counts for the request it serves, also after a fallback.
/// </remarks>
public static class FallbackChain
{
    /// <summary>Completes <paramref name="request"/> along <paramref name="decision"/>'s chain.</summary>
    /// <param name="decision">The route: the first choice and its fallbacks.</param>
    /// <param name="request">What to ask.</param>
    /// <param name="onToken">Streamed pieces of the answer, or null.</param>
    /// <param name="enterLane">
    /// Moves the call into the named provider's lane before that provider is asked (it may wait there for a slot, on the
    /// call's deadline; it throws when that lane refuses). Null when the call needs no move: it runs in the lane of the
    /// only provider it can reach.
    /// </param>
    /// <param name="cancellationToken">The call's token.</param>
    /// <exception cref="ProviderException">The last model tried failed (or one failed after streaming began).</exception>
    public static async ValueTask<RoutedResponse> CompleteAsync(RouteDecision decision, ModelRequest request, Action<string>? onToken,
        Func<string, ValueTask>? enterLane, CancellationToken cancellationToken)
    {
        var fallbacks = decision.Fallbacks;
        if (fallbacks.Count == 0)
        {
            // The usual case (an explicit model, the local model): no wrapper, no notes.
            var only = decision.Choice;
            if (enterLane is not null)
            {
                await enterLane(only.Provider.Name).ConfigureAwait(false);
            }

            var response = await only.Provider.CompleteAsync(request with { Model = only.Model.Name }, onToken, cancellationToken).ConfigureAwait(false);
            return new RoutedResponse(response, decision.Reason);
        }

        List<string>? notes = null;
        for (int i = 0; i <= fallbacks.Count; i++)
        {
            var choice = i == 0 ? decision.Choice : fallbacks[i - 1];
            bool last = i == fallbacks.Count;
            if (!last && !choice.IsAvailable)
            {
                (notes ??= []).Add($"{choice} skipped: its circuit breaker is open");
                continue;
            }

            if (enterLane is not null)
            {
                // Outside the provider's try: a lane that refuses is not the provider's failure, and ends the call
                // (OVER_CAPACITY), saying what came before it.
                try
                {
                    await enterLane(choice.Provider.Name).ConfigureAwait(false);
                }
                catch (LaneFullException ex) when (notes is not null)
                {
                    throw new LaneFullException($"{ex.Message}, so {choice} was not asked; before it: {string.Join("; ", notes)}", ex.RetryAfterSeconds);
                }
            }

            // Counted even when the client does not stream (upstream always does): once a model has begun to answer,
            // its failure is the answer's, not a reason to start again elsewhere.
            var counter = new ChunkCounter(onToken);
            try
            {
                var response = await choice.Provider.CompleteAsync(request with { Model = choice.Model.Name }, counter.OnToken, cancellationToken).ConfigureAwait(false);
                string reason = notes is null ? decision.Reason : $"{decision.Reason}; fallback: {string.Join("; ", notes)}; answered by {choice}";
                return new RoutedResponse(response, reason);
            }
            catch (ProviderException ex) when (!last && counter.Chunks == 0 && !cancellationToken.IsCancellationRequested)
            {
                (notes ??= []).Add($"{choice} failed before its first chunk ({ex.Message})");
            }
        }

        throw new InvalidOperationException("unreachable: the last model's failure propagates");
    }

    private sealed class ChunkCounter(Action<string>? inner)
    {
        public int Chunks { get; private set; }

        public void OnToken(string piece)
        {
            Chunks++;
            inner?.Invoke(piece);
        }
    }
}
