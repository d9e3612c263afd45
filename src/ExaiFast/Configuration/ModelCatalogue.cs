using ExaiFast.Models;
using ExaiFast.Models.Local;

namespace ExaiFast.Configuration;

/// <summary>
/// Each provider's models: the built-in ones (<see cref="KnownModels"/>, <c>OPENAI_COMPATIBLE_MODELS</c>) with
/// <c>EXAIFAST_MODELS_FILE</c>'s entries over them, and the checks between the file's models and all the others.
/// </summary>
internal static class ModelCatalogue
{
    /// <summary>The built-in models of <paramref name="provider"/>, the first its default.</summary>
    public static IReadOnlyList<ModelSpec> BuiltIn(string provider, IReadOnlyList<string> openAICompatibleModels) => provider switch
    {
        "kimi" => KnownModels.Kimi,
        "glm" => KnownModels.Glm,
        _ => KnownModels.Named(openAICompatibleModels),
    };

    /// <summary>
    /// <paramref name="builtIn"/> with <paramref name="entries"/> over it: an entry naming one of its models changes it in
    /// place (the default stays the default), any other is added after them, in the file's order.
    /// </summary>
    public static List<ModelSpec> Merge(IReadOnlyList<ModelSpec> builtIn, IEnumerable<ModelEntry> entries)
    {
        var models = new List<ModelSpec>(builtIn);
        foreach (var entry in entries)
        {
            int i = models.FindIndex(m => m.Name.Equals(entry.Name, StringComparison.OrdinalIgnoreCase));
            if (i >= 0)
            {
                models[i] = entry.Over(models[i]);
            }
            else
            {
                models.Add(entry.Over(null));
            }
        }

        return models;
    }

    /// <summary>
    /// The entries that fit with every other model: each name and alias selects one model (a name two providers serve
    /// aside, as their APIs call it that), none is <c>auto</c> or a provider's name, and an answer fits in its window.
    /// A line is added for each that does not, naming the entry.
    /// </summary>
    public static List<ModelEntry> Check(IReadOnlyList<ModelEntry> entries, IReadOnlyList<string> openAICompatibleModels, string path, List<string> problems)
    {
        var catalogues = ModelsFile.Providers.ToDictionary(p => p, p => new List<ModelSpec>(BuiltIn(p, openAICompatibleModels)), StringComparer.Ordinal);
        string[] providerNames = [.. ModelsFile.Providers, LocalModelProvider.ProviderName];
        var reserved = new HashSet<string>([ProviderRegistry.Auto, .. providerNames], StringComparer.OrdinalIgnoreCase);
        var firstOf = new Dictionary<(string, string), ModelEntry>();
        var accepted = new List<ModelEntry>(entries.Count);
        foreach (var entry in entries)
        {
            string where = $"models file {path}: {entry.Where}";
            var key = (entry.Provider, entry.Name.ToLowerInvariant());
            if (firstOf.TryGetValue(key, out var first))
            {
                problems.Add($"{where}: the name is already {first.Provider}[{first.Index}]'s; give each model once");
                continue;
            }

            firstOf[key] = entry;
            var models = catalogues[entry.Provider];
            int target = models.FindIndex(m => m.Name.Equals(entry.Name, StringComparison.OrdinalIgnoreCase));
            var existing = target >= 0 ? models[target] : null;
            var model = entry.Over(existing);
            int before = problems.Count;

            var names = new List<(string Word, string Kind)>();
            if (existing is null)
            {
                names.Add((model.Name, "name"));
            }

            // An alias the model has already (the built-in glm-4.6's "glm") is no new claim on the word.
            foreach (string alias in (entry.Aliases ?? []).Where(a => existing is null || !existing.Aliases.Contains(a, StringComparer.OrdinalIgnoreCase)))
            {
                names.Add((alias, "alias"));
            }

            var own = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (word, kind) in names)
            {
                if (reserved.Contains(word))
                {
                    problems.Add($"{where}: {kind} \"{word}\" is taken: auto and the provider names ({string.Join(", ", providerNames)}) cannot name a model");
                }
                else if (kind == "alias" && word.Equals(model.Name, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"{where}: alias \"{word}\" is the model's own name");
                }
                else if (!own.Add(word))
                {
                    problems.Add($"{where}: alias \"{word}\" is given twice");
                }
                else if (Owner(catalogues, word, existing, kind == "name" ? entry.Provider : null) is { } owner)
                {
                    problems.Add($"{where}: {kind} \"{word}\" already names {owner}; a name or alias selects one model");
                }
            }

            if (model.ContextWindow > 0 && model.MaxOutputTokens > model.ContextWindow)
            {
                problems.Add($"{where}: max_output_tokens ({model.MaxOutputTokens}) is above context_window ({model.ContextWindow}); an answer must fit in the window");
            }

            if (problems.Count > before)
            {
                continue;
            }

            if (target >= 0)
            {
                models[target] = model;
            }
            else
            {
                models.Add(model);
            }

            accepted.Add(entry);
        }

        return accepted;
    }

    // The model (other than 'self') that 'word' already selects, as provider/model; for a new model's name, only the same
    // provider's names count against it (another provider may serve a model its API calls the same), aliases everywhere.
    private static string? Owner(Dictionary<string, List<ModelSpec>> catalogues, string word, ModelSpec? self, string? nameProvider)
    {
        foreach (var (provider, models) in catalogues)
        {
            foreach (var model in models)
            {
                if (ReferenceEquals(model, self))
                {
                    continue;
                }

                bool byName = model.Name.Equals(word, StringComparison.OrdinalIgnoreCase) && (nameProvider is null || nameProvider == provider);
                if (byName || model.Aliases.Contains(word, StringComparer.OrdinalIgnoreCase))
                {
                    return $"{provider}/{model.Name}";
                }
            }
        }

        return null;
    }
}
