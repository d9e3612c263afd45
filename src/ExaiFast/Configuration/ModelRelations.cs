using ExaiFast.Models;

namespace ExaiFast.Configuration;

/// <summary>
/// The checks of the model settings against each other: <c>EXAIFAST_MODELS_FILE</c> read and checked against the
/// built-in models, each allow-list against its provider's models, and <c>auto</c> left something to pick.
/// </summary>
internal static class ModelRelations
{
    /// <summary>Reads the models file into the settings and adds a line to <paramref name="problems"/> for each problem.</summary>
    /// <param name="settings">The settings, each value applied.</param>
    /// <param name="bad">The settings whose value was refused.</param>
    /// <param name="problems">Where the lines go.</param>
    /// <param name="fine">Whether the models are as configured, so that checks that look them up (DEFAULT_MODEL) mean something.</param>
    public static ExaiFastSettings Check(ExaiFastSettings settings, IReadOnlySet<string> bad, List<string> problems, out bool fine)
    {
        var providers = settings.Providers;
        int before = problems.Count;
        if (providers.ModelsFile.Length > 0 && !bad.Contains("EXAIFAST_MODELS_FILE"))
        {
            string path = providers.ModelsFile;
            if (ModelsFile.Read(path, problems) is { } entries)
            {
                providers = providers with { ModelEntries = ModelCatalogue.Check(entries, providers.OpenAICompatibleModels, path, problems) };
                settings = settings with { Providers = providers };
            }
        }

        // A file with a bad entry leaves that model out: an allow-list naming it would be refused for the file's mistake.
        fine = problems.Count == before && !bad.Contains("EXAIFAST_MODELS_FILE");
        if (!fine)
        {
            return settings;
        }

        foreach (string provider in ModelsFile.Providers)
        {
            var (setting, names) = providers.AllowListOf(provider);
            if (names is null || bad.Contains(setting))
            {
                continue;
            }

            var catalogue = providers.Catalogue(provider);
            foreach (string name in names.Where(n => !catalogue.Any(m => ProviderSettings.IsCalled(m, n))))
            {
                problems.Add(catalogue.Count == 0
                    ? $"invalid {setting}: '{name}' is not an {provider} model; {provider} has none (OPENAI_COMPATIBLE_MODELS and EXAIFAST_MODELS_FILE name none)"
                    : $"invalid {setting}: '{name}' is not {(provider == "openai" ? "an" : "a")} {provider} model or alias; {provider}'s models: {string.Join(", ", catalogue.Select(m => m.Name))}");
            }
        }

        fine = problems.Count == before;
        var configured = providers.Configured();
        if (fine && !bad.Contains("DEFAULT_MODEL") && providers.DefaultModel.Trim().Equals(ProviderRegistry.Auto, StringComparison.OrdinalIgnoreCase)
            && configured.Count > 0 && !configured.Any(o => o.Models.Any(m => m.Auto)))
        {
            problems.Add("DEFAULT_MODEL=auto has no model to pick: every model served is kept from auto (\"auto\": false in EXAIFAST_MODELS_FILE); " +
                "set DEFAULT_MODEL to one of them, or let auto pick one");
        }

        return settings;
    }
}
