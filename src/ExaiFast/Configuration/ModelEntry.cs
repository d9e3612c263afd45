using ExaiFast.Models;

namespace ExaiFast.Configuration;

/// <summary>
/// One model of <c>EXAIFAST_MODELS_FILE</c>: a new model of its provider, or changes to the provider's model of the same
/// name. A field left out keeps the model's value (for a new model: no aliases, unknown window and answer limit, no
/// capabilities, auto may pick it).
/// </summary>
/// <param name="Provider">The provider it belongs to: <c>kimi</c>, <c>glm</c> or <c>openai</c>.</param>
/// <param name="Index">Its place in the provider's array, named in errors.</param>
/// <param name="Name">The name the provider's API takes.</param>
internal sealed record ModelEntry(string Provider, int Index, string Name)
{
    /// <summary>Other names that select it; given, they replace the model's.</summary>
    public IReadOnlyList<string>? Aliases { get; init; }

    /// <summary>Context window in tokens.</summary>
    public int? ContextWindow { get; init; }

    /// <summary>The most tokens an answer may take.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>What it is good for; given, they replace the model's.</summary>
    public ModelCapabilities? Capabilities { get; init; }

    /// <summary>Whether auto may pick it.</summary>
    public bool? Auto { get; init; }

    /// <summary>How errors name it: <c>kimi[2] "foo"</c>.</summary>
    public string Where => $"{Provider}[{Index}] \"{Name}\"";

    /// <summary>The model this entry makes: <paramref name="existing"/> (the provider's model of its name) changed, or a new one.</summary>
    public ModelSpec Over(ModelSpec? existing)
    {
        var model = existing ?? new ModelSpec(Name, 0, ModelCapabilities.None);
        return model with
        {
            Aliases = Aliases ?? model.Aliases,
            ContextWindow = ContextWindow ?? model.ContextWindow,
            MaxOutputTokens = MaxOutputTokens ?? model.MaxOutputTokens,
            Capabilities = Capabilities ?? model.Capabilities,
            Auto = Auto ?? model.Auto,
            FromModelsFile = true,
        };
    }
}
