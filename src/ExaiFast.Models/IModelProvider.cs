namespace ExaiFast.Models;

/// <summary>A model server the tools can ask. Created once by the composition root; thread-safe.</summary>
public interface IModelProvider
{
    /// <summary>The provider's name, also its lane (<c>local</c>, <c>kimi</c>, <c>glm</c>, <c>openai</c>).</summary>
    string Name { get; }

    /// <summary>The models it serves; the first is its default.</summary>
    IReadOnlyList<ModelSpec> Models { get; }

    /// <summary>
    /// Its state as a whole: <see cref="ProviderState.Open"/> only when every deployment of it that has been used is open
    /// (one model failing leaves the others usable), and <see cref="ProviderState.Closed"/> for one without breakers.
    /// </summary>
    ProviderState State { get; }

    /// <summary>The allow-list <see cref="Models"/> were chosen by, or null when it serves its whole catalogue.</summary>
    ModelAllowList? AllowList => null;

    /// <summary>Whether it can take requests now (configured, not every used deployment open).</summary>
    bool IsAvailable => State != ProviderState.Open;

    /// <summary>The circuit breaker state of its deployment <paramref name="model"/> (one of <see cref="Models"/>).</summary>
    ProviderState StateOf(ModelSpec model) => State;

    /// <summary>Its deployments that have been used, in the order of <see cref="Models"/>, with their breakers' state.</summary>
    IReadOnlyList<DeploymentState> Deployments => [];

    /// <summary>
    /// Completes a conversation. Honours <paramref name="cancellationToken"/> by abandoning the request at once; fails with
    /// <see cref="Core.Tools.ProviderException"/> (never with the HTTP stack's own exceptions).
    /// </summary>
    /// <param name="request">What to ask.</param>
    /// <param name="onToken">Called with each piece of the answer as it is produced (streaming), or null.</param>
    /// <param name="cancellationToken">Fires on timeout, cancel, disconnect, shutdown.</param>
    ValueTask<ModelResponse> CompleteAsync(ModelRequest request, Action<string>? onToken, CancellationToken cancellationToken);
}
