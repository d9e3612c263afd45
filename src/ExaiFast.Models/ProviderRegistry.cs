namespace ExaiFast.Models;

/// <summary>Every configured provider, created before the server accepts connections; routing for <c>auto</c>.</summary>
/// <remarks>Immutable after construction, so concurrent lookups need no lock and no lazy initialisation (ROADMAP items 3–5).</remarks>
public sealed class ProviderRegistry
{
    private readonly Dictionary<string, IModelProvider> _byName;
    private readonly Dictionary<string, IModelProvider> _byModel;

    /// <summary>Registers the providers; the first available one answers <c>auto</c>.</summary>
    public ProviderRegistry(IEnumerable<IModelProvider> providers)
    {
        All = [.. providers];
        _byName = All.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _byModel = new Dictionary<string, IModelProvider>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in All)
        {
            foreach (string model in provider.Models)
            {
                _byModel.TryAdd(model, provider);
            }
        }
    }

    /// <summary>Providers in preference order.</summary>
    public IReadOnlyList<IModelProvider> All { get; }

    /// <summary>
    /// The provider for <paramref name="model"/>: a known model name, a provider name, or <c>auto</c>/null for the
    /// first available provider. False (with the reason) when nothing fits.
    /// </summary>
    public bool TryResolve(string? model, out IModelProvider provider, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(model) || model.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            // Index loop: foreach over IReadOnlyList boxes its enumerator, and this runs twice per call.
            for (int i = 0; i < All.Count; i++)
            {
                if (All[i].IsAvailable)
                {
                    provider = All[i];
                    return true;
                }
            }

            provider = null!;
            error = "no model provider is available";
            return false;
        }

        if (_byModel.TryGetValue(model, out provider!) || _byName.TryGetValue(model, out provider!))
        {
            return true;
        }

        error = $"unknown model '{model}'; known: auto, {string.Join(", ", _byModel.Keys)}";
        return false;
    }
}
