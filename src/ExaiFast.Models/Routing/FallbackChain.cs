using ExaiFast.Core.Tools;

namespace ExaiFast.Models.Routing;

/// <summary>
/// A route's models, asked in order: the next one when a model's breaker is open, or when it fails before its first
/// streamed chunk — never after one, since the client has then seen part of an answer that another model would not
/// continue.
/// </summary>
/// <remarks>
/// The caller drives it, so that whatever must happen before a model is asked (moving the call into that provider's
/// lane, through the dispatcher) happens in the caller's layer, not in a callback from this one:
/// <code>
/// var chain = new FallbackChain(decision, onToken);
/// while (chain.TryNext(out var choice))
/// {
///     // enter choice.Provider's lane
///     if (await chain.AskAsync(request, cancellationToken) is { } answered) return answered;
/// }
/// </code>
/// </remarks>
/// <param name="decision">The route: the first choice and its fallbacks.</param>
/// <param name="onToken">Streamed pieces of the answer, or null.</param>
public sealed class FallbackChain(RouteDecision decision, Action<string>? onToken)
{
    private int _next;
    private int _chunks;
    private ModelChoice? _current;
    private List<string>? _notes;

    /// <summary>What happened to the models before the current one ("…skipped: its circuit breaker is open; …"), or null.</summary>
    public string? Notes => _notes is null ? null : string.Join("; ", _notes);

    /// <summary>
    /// The next model to ask, past those whose breaker is open (the last one is asked whatever its breaker says: its
    /// failure is the answer). False when every model has been tried.
    /// </summary>
    public bool TryNext(out ModelChoice choice)
    {
        var fallbacks = decision.Fallbacks;
        while (_next <= fallbacks.Count)
        {
            choice = _next == 0 ? decision.Choice : fallbacks[_next - 1];
            bool last = _next++ == fallbacks.Count;
            if (last || choice.IsAvailable)
            {
                _current = choice;
                return true;
            }

            (_notes ??= []).Add($"{choice} skipped: its circuit breaker is open");
        }

        choice = default;
        return false;
    }

    /// <summary>
    /// Asks the model <see cref="TryNext"/> gave: its answer, or null when it failed before its first chunk and another
    /// model is left to ask.
    /// </summary>
    /// <exception cref="ProviderException">The last model failed, or this one failed after streaming began.</exception>
    public async ValueTask<RoutedResponse?> AskAsync(ModelRequest request, CancellationToken cancellationToken)
    {
        var choice = _current ?? throw new InvalidOperationException("TryNext gives the model to ask");
        bool last = _next > decision.Fallbacks.Count;
        try
        {
            // Chunks are counted even when the client does not stream (upstream always does): once a model has begun
            // to answer, its failure is the answer's, not a reason to start again elsewhere.
            var response = await choice.Provider.CompleteAsync(request with { Model = choice.Model.Name }, last ? onToken : Counted, cancellationToken).ConfigureAwait(false);
            return new RoutedResponse(response, _notes is null ? decision.Reason : $"{decision.Reason}; fallback: {Notes}; answered by {choice}");
        }
        catch (ProviderException ex) when (!last && _chunks == 0 && !cancellationToken.IsCancellationRequested)
        {
            (_notes ??= []).Add($"{choice} failed before its first chunk ({ex.Message})");
            return null;
        }
    }

    private void Counted(string piece)
    {
        _chunks++;
        onToken?.Invoke(piece);
    }
}
