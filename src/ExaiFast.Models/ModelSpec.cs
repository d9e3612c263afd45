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

    /// <summary>
    /// The most tokens an answer may take, sent as <c>max_tokens</c> (less when the prompt leaves less room in
    /// <see cref="ContextWindow"/>); 0 when unknown (models named in OPENAI_COMPATIBLE_MODELS), and the server's default applies.
    /// </summary>
    public int MaxOutputTokens { get; init; }

    /// <summary>
    /// Whether <c>auto</c> may pick it (and fall back to it); false keeps it for calls that name it, such as a costly
    /// model an operator offers only on request (<c>"auto": false</c> in <c>EXAIFAST_MODELS_FILE</c>).
    /// </summary>
    public bool Auto { get; init; } = true;

    /// <summary>Whether <c>EXAIFAST_MODELS_FILE</c> added or changed it (listmodels says so).</summary>
    public bool FromModelsFile { get; init; }

    /// <summary>Whether it has every capability in <paramref name="wanted"/>.</summary>
    public bool Can(ModelCapabilities wanted) => (Capabilities & wanted) == wanted;

    /// <inheritdoc />
    public override string ToString() => Name;
}
