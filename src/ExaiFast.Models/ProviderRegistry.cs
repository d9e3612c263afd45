using ExaiFast.Core.Tools;
using ExaiFast.Models.Local;

namespace ExaiFast.Models;

/// <summary>
/// Every configured provider and its models (names, aliases, context windows, capabilities), created before the server
/// accepts connections; the one source of the lanes; routing for <c>auto</c>.
/// </summary>
/// <remarks>Immutable after construction, so concurrent lookups need no lock and no lazy initialisation.</remarks>
public sealed class ProviderRegistry
{
    /// <summary>The word that asks the router to choose.</summary>
    public const string Auto = "auto";

    private const int MaxFallbacks = 2;

    private readonly Dictionary<string, IModelProvider> _byName;
    private readonly Dictionary<string, ModelChoice> _byModel;

    // Models and aliases an allow-list hides: a call naming one is refused with the list, not told the model is unknown.
    private readonly Dictionary<string, ModelChoice> _hidden;
    private readonly RouteDecision? _offline;

    /// <summary>Registers the providers, in preference order.</summary>
    /// <param name="providers">The providers; the offline <c>local</c> one last.</param>
    /// <param name="defaultModel"><c>DEFAULT_MODEL</c>: <c>auto</c>, or a model or provider name used when a call names none.</param>
    public ProviderRegistry(IEnumerable<IModelProvider> providers, string defaultModel = Auto)
    {
        All = [.. providers];
        DefaultModel = defaultModel;
        _byName = All.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _byModel = new Dictionary<string, ModelChoice>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in All)
        {
            foreach (var model in provider.Models)
            {
                _byModel.TryAdd(model.Name, new ModelChoice(provider, model));
            }
        }

        foreach (var provider in All)
        {
            foreach (var model in provider.Models)
            {
                foreach (string alias in model.Aliases)
                {
                    _byModel.TryAdd(alias, new ModelChoice(provider, model));
                }
            }
        }

        _hidden = new Dictionary<string, ModelChoice>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in All)
        {
            foreach (var model in provider.AllowList?.Hidden ?? [])
            {
                foreach (string name in model.Aliases.Prepend(model.Name))
                {
                    _hidden.TryAdd(name, new ModelChoice(provider, model));
                }
            }
        }

        Remote = [.. All.Where(p => p.Name != LocalModelProvider.ProviderName)];
        if (Remote.Count == 0 && All.Count > 0)
        {
            // Decided once: the offline daemon's every call routes here, and a decision per call would be garbage.
            var local = All.FirstOrDefault(p => p.Name == LocalModelProvider.ProviderName) ?? All[0];
            _offline = new RouteDecision(new ModelChoice(local, local.Models[0]), "auto: no API key or model server is configured, so the offline local model answers", []);
        }
    }

    /// <summary>Providers in preference order.</summary>
    public IReadOnlyList<IModelProvider> All { get; }

    /// <summary>Providers that call a model API (all but <c>local</c>).</summary>
    public IReadOnlyList<IModelProvider> Remote { get; }

    /// <summary><c>DEFAULT_MODEL</c>.</summary>
    public string DefaultModel { get; }

    /// <summary>The lanes: one per provider, named after it.</summary>
    public IEnumerable<string> Lanes => All.Select(p => p.Name);

    /// <summary>
    /// What /ready shows: whether a model can answer now — the offline model when no provider is configured, else some
    /// configured provider that is up (not every deployment of it that has been used is open) — and each provider's
    /// deployments with their breakers.
    /// </summary>
    public ModelReadiness Readiness()
    {
        if (Remote.Count == 0)
        {
            return new ModelReadiness(All.Count > 0, []);
        }

        bool usable = false;
        var providers = new ProviderReadiness[Remote.Count];
        for (int i = 0; i < Remote.Count; i++)
        {
            var provider = Remote[i];
            var deployments = provider.Deployments;
            var shown = new DeploymentReadiness[deployments.Count];
            for (int d = 0; d < deployments.Count; d++)
            {
                shown[d] = new DeploymentReadiness(deployments[d].Model, deployments[d].State switch
                {
                    ProviderState.Open => "open",
                    ProviderState.HalfOpen => "half_open",
                    _ => "closed",
                });
            }

            bool up = provider.IsAvailable;
            usable |= up;
            providers[i] = new ProviderReadiness(provider.Name, up, shown);
        }

        return new ModelReadiness(usable, providers);
    }

    /// <summary>The model called <paramref name="name"/> (a model name, an alias, or a provider name for its default).</summary>
    public bool TryFind(string name, out ModelChoice choice)
    {
        if (_byModel.TryGetValue(name, out choice))
        {
            return true;
        }

        if (_byName.TryGetValue(name, out var provider))
        {
            choice = new ModelChoice(provider, provider.Models[0]);
            return true;
        }

        return false;
    }

    /// <summary>
    /// The provider for <paramref name="model"/> (a known model, an alias, a provider name, or <c>auto</c>/null), as
    /// validation needs it to pick the call's lane. False (with the reason) when nothing fits.
    /// </summary>
    public bool TryResolve(string? model, out IModelProvider provider, out string? error)
    {
        bool ok = TryRoute(new RouteRequest { Tool = "chat", Model = model }, out var decision, out error);
        provider = ok ? decision!.Choice.Provider : null!;
        return ok;
    }

    /// <summary>Chooses the model for a request: explicit, continued, <c>DEFAULT_MODEL</c>, or by the auto rules.</summary>
    public bool TryRoute(in RouteRequest request, out RouteDecision? decision, out string? error)
    {
        error = null;
        string? named = IsAuto(request.Model) ? null : request.Model;
        if (named is not null)
        {
            if (TryFind(named, out var explicitChoice))
            {
                decision = new RouteDecision(explicitChoice, $"explicit model '{named}'", []);
                return true;
            }

            decision = null;
            error = _hidden.TryGetValue(named, out var hidden)
                ? $"model '{named}' is not allowed on this daemon: {hidden.Provider.AllowList!.Setting} allows {string.Join(", ", hidden.Provider.Models.Select(m => m.Name))}"
                : $"unknown model '{named}'; known: auto, {string.Join(", ", All.SelectMany(p => p.Models).Select(m => m.Name))}";
            return false;
        }

        if (request.ThreadModel is { } threadModel && TryFind(threadModel, out var continued))
        {
            decision = new RouteDecision(continued, $"continuation keeps its thread's model '{continued.Model.Name}'", []);
            return true;
        }

        if (!IsAuto(DefaultModel) && TryFind(DefaultModel, out var configured))
        {
            decision = new RouteDecision(configured, $"DEFAULT_MODEL={DefaultModel}", FallbacksOf(configured, configured.Model.Capabilities));
            return true;
        }

        decision = ChooseAuto(request);
        if (decision is null)
        {
            error = "auto has no model to choose: every configured model is kept from auto (\"auto\": false in EXAIFAST_MODELS_FILE); name a model (see listmodels)";
            return false;
        }

        return true;
    }

    private RouteDecision? ChooseAuto(in RouteRequest request)
    {
        if (_offline is not null)
        {
            return _offline;
        }

        var (wanted, why) = Wanted(request);
        ModelChoice? best = null;
        string? skipped = null;
        foreach (var provider in Remote)
        {
            // Per deployment: a model whose breaker is open is passed over for the next one that can do the job, of the
            // same provider first — its other models may be answering fine.
            var models = provider.Models;
            for (int i = 0; i < models.Count && best is null; i++)
            {
                if (models[i].Auto && models[i].Can(wanted))
                {
                    var choice = new ModelChoice(provider, models[i]);
                    if (choice.IsAvailable)
                    {
                        best = choice;
                    }
                    else
                    {
                        skipped = $"{skipped}; {choice} skipped: its circuit breaker is open";
                    }
                }
            }

            if (best is not null)
            {
                break;
            }
        }

        string reason;
        if (best is { } found)
        {
            reason = $"auto: {why} → {found.Model.Name}{skipped}";
        }
        else if (FirstAvailable() is { } other)
        {
            best = other;
            reason = skipped is null
                ? $"auto: {why}, but no configured model has that; {other.Provider.Name}'s {(other.Model == other.Provider.Models[0] ? "default " : "")}{other.Model.Name}"
                : $"auto: {why}, but every model that has it is unavailable{skipped}; {other} instead";
        }
        else if (FirstForAuto() is { } first)
        {
            best = first;
            reason = $"auto: every model's circuit breaker is open; trying {first.Provider.Name}'s {first.Model.Name}";
        }
        else
        {
            return null;
        }

        return new RouteDecision(best.Value, reason, FallbacksOf(best.Value, wanted));
    }

    private static (ModelCapabilities Wanted, string Why) Wanted(in RouteRequest request)
    {
        if (request.UseWebSearch)
        {
            return (ModelCapabilities.WebSearch, "use_websearch asks for a web-search-capable model");
        }

        if (request.HasImages)
        {
            return (ModelCapabilities.Vision, "the request carries images");
        }

        if (request.Tool is "thinkdeep")
        {
            return (ModelCapabilities.Strong | ModelCapabilities.Thinking, "thinkdeep wants a strong thinking model");
        }

        if (request.Tool is "consensus" or "secaudit")
        {
            return (ModelCapabilities.Strong, $"{request.Tool} wants a strong model");
        }

        if (request.ThinkingMode is not null)
        {
            return (ModelCapabilities.Thinking, $"thinking_mode={request.ThinkingMode} asks for a thinking model");
        }

        if (request.FinalStep)
        {
            return (ModelCapabilities.Strong, "a workflow's final step wants a strong model");
        }

        return (ModelCapabilities.Fast, $"{request.Tool} is a simple tool or an early workflow step, so a fast model");
    }

    /// <summary>The chain after <paramref name="first"/>: models with the same capabilities, then other providers' defaults.</summary>
    private List<ModelChoice> FallbacksOf(ModelChoice first, ModelCapabilities wanted)
    {
        var chain = new List<ModelChoice>(MaxFallbacks);
        foreach (var provider in Remote)
        {
            if (provider != first.Provider && FirstWith(provider, wanted) is { } spec && chain.Count < MaxFallbacks)
            {
                chain.Add(new ModelChoice(provider, spec));
            }
        }

        foreach (var provider in Remote)
        {
            if (provider != first.Provider && chain.Count < MaxFallbacks && !chain.Exists(c => c.Provider == provider) && FirstWith(provider, ModelCapabilities.None) is { } any)
            {
                chain.Add(new ModelChoice(provider, any));
            }
        }

        return chain;
    }

    /// <summary>
    /// The first model of <paramref name="provider"/> that auto may pick with <paramref name="wanted"/>, one whose breaker
    /// is not open if any; null when it has none.
    /// </summary>
    private static ModelSpec? FirstWith(IModelProvider provider, ModelCapabilities wanted)
    {
        ModelSpec? first = null;
        var models = provider.Models;
        for (int i = 0; i < models.Count; i++)
        {
            if (models[i].Auto && models[i].Can(wanted))
            {
                if (new ModelChoice(provider, models[i]).IsAvailable)
                {
                    return models[i];
                }

                first ??= models[i];
            }
        }

        return first;
    }

    /// <summary>The first deployment auto may pick, in preference order, whose breaker is not open.</summary>
    private ModelChoice? FirstAvailable()
    {
        foreach (var provider in Remote)
        {
            foreach (var model in provider.Models)
            {
                var choice = new ModelChoice(provider, model);
                if (model.Auto && choice.IsAvailable)
                {
                    return choice;
                }
            }
        }

        return null;
    }

    /// <summary>The first deployment auto may pick, in preference order, open or not; null when every model is kept from auto.</summary>
    private ModelChoice? FirstForAuto()
    {
        foreach (var provider in Remote)
        {
            foreach (var model in provider.Models)
            {
                if (model.Auto)
                {
                    return new ModelChoice(provider, model);
                }
            }
        }

        return null;
    }

    private static bool IsAuto(string? model) => string.IsNullOrEmpty(model) || model.Equals(Auto, StringComparison.OrdinalIgnoreCase);
}
