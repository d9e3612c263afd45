namespace ExaiFast.Models;

/// <summary>A model server the tools can ask. Created once by the composition root; thread-safe.</summary>
public interface IModelProvider
{
    /// <summary>The provider's name, also its lane (<c>local</c>, <c>kimi</c>, <c>glm</c>, <c>openai</c>).</summary>
    string Name { get; }

    /// <summary>The models it serves; the first is its default.</summary>
    IReadOnlyList<ModelSpec> Models { get; }

    /// <summary>Its circuit breaker's state (always <see cref="ProviderState.Closed"/> for one without a breaker).</summary>
    ProviderState State { get; }

    /// <summary>Whether it can take requests now (configured, circuit not open).</summary>
    bool IsAvailable => State != ProviderState.Open;

    /// <summary>
    /// Completes a conversation. Honours <paramref name="cancellationToken"/> by abandoning the request at once; fails with
    /// <see cref="Core.Tools.ProviderException"/> (never with the HTTP stack's own exceptions).
    /// </summary>
    /// <param name="request">What to ask.</param>
    /// <param name="onToken">Called with each piece of the answer as it is produced (streaming), or null.</param>
    /// <param name="cancellationToken">Fires on timeout, cancel, disconnect, shutdown.</param>
    ValueTask<ModelResponse> CompleteAsync(ModelRequest request, Action<string>? onToken, CancellationToken cancellationToken);
}
