namespace ExaiFast.Models;

/// <summary>A model in the registry: its name, context window, capabilities and aliases.</summary>
/// <param name="Name">The name the provider's API takes.</param>
/// <param name="ContextWindow">Context window in tokens; 0 when unknown (models named in OPENAI_COMPATIBLE_MODELS).</param>
/// <param name="Capabilities">What it is good for.</param>
/// <param name="Aliases">Other names that select it.</param>
public sealed record ModelSpec(string Name, int ContextWindow, ModelCapabilities Capabilities, IReadOnlyList<string> Aliases)
{
    /// <summary>A model with no aliases.</summary>
    public ModelSpec(string name, int contextWindow, ModelCapabilities capabilities)
        : this(name, contextWindow, capabilities, [])
    {
    }

    /// <summary>Whether it has every capability in <paramref name="wanted"/>.</summary>
    public bool Can(ModelCapabilities wanted) => (Capabilities & wanted) == wanted;

    /// <inheritdoc />
    public override string ToString() => Name;
}
