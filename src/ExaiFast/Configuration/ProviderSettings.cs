using ExaiFast.Models;
using ExaiFast.Models.OpenAICompatible;

namespace ExaiFast.Configuration;

/// <summary>The model providers' settings: keys, URLs, models, deadlines, retries and breakers.</summary>
internal sealed record ProviderSettings
{
    /// <summary><c>KIMI_API_KEY</c>; empty: no Kimi provider.</summary>
    public string KimiApiKey { get; init; } = "";

    /// <summary><c>KIMI_API_URL</c>.</summary>
    public string KimiApiUrl { get; init; } = "https://api.moonshot.ai/v1";

    /// <summary><c>GLM_API_KEY</c>; empty: no GLM provider.</summary>
    public string GlmApiKey { get; init; } = "";

    /// <summary><c>GLM_API_URL</c>.</summary>
    public string GlmApiUrl { get; init; } = "https://api.z.ai/api/paas/v4";

    /// <summary><c>OPENAI_COMPATIBLE_BASE_URL</c>; empty: no generic provider.</summary>
    public string OpenAICompatibleBaseUrl { get; init; } = "";

    /// <summary><c>OPENAI_COMPATIBLE_API_KEY</c>; empty for a server that needs none (Ollama).</summary>
    public string OpenAICompatibleApiKey { get; init; } = "";

    /// <summary><c>OPENAI_COMPATIBLE_MODELS</c>: the models the generic server serves, the first its default.</summary>
    public IReadOnlyList<string> OpenAICompatibleModels { get; init; } = [];

    /// <summary><c>KIMI_ALLOWED_MODELS</c>: the kimi models (names or aliases) served; null: all.</summary>
    public IReadOnlyList<string>? KimiAllowedModels { get; init; }

    /// <summary><c>GLM_ALLOWED_MODELS</c>: the glm models (names or aliases) served; null: all.</summary>
    public IReadOnlyList<string>? GlmAllowedModels { get; init; }

    /// <summary><c>OPENAI_COMPATIBLE_ALLOWED_MODELS</c>: the openai models (names or aliases) served; null: all.</summary>
    public IReadOnlyList<string>? OpenAICompatibleAllowedModels { get; init; }

    /// <summary><c>EXAIFAST_MODELS_FILE</c>: the JSON file of models over the built-in ones; empty: none.</summary>
    public string ModelsFile { get; init; } = "";

    /// <summary>The models file's entries, checked (set once the file is read, after every value is applied).</summary>
    internal IReadOnlyList<ModelEntry> ModelEntries { get; init; } = [];

    /// <summary><c>DEFAULT_MODEL</c>: <c>auto</c>, or the model (or provider) a call gets when it names none.</summary>
    public string DefaultModel { get; init; } = "auto";

    /// <summary><c>EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS</c>.</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS</c>.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>EXAIFAST_PROVIDER_TOTAL_TIMEOUT_SECS</c>.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary><c>EXAIFAST_PROVIDER_RETRIES</c>.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary><c>EXAIFAST_PROVIDER_RETRY_DELAY_SECS</c>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary><c>EXAIFAST_BREAKER_CONSECUTIVE_FAILURES</c>.</summary>
    public int BreakerConsecutiveFailures { get; init; } = ProviderResilience.DefaultConsecutiveFailures;

    /// <summary><c>EXAIFAST_BREAKER_FAILURE_PERCENT</c>, as a ratio.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    /// <summary><c>EXAIFAST_BREAKER_MIN_THROUGHPUT</c>.</summary>
    public int BreakerMinimumThroughput { get; init; } = 4;

    /// <summary><c>EXAIFAST_BREAKER_SAMPLING_SECS</c>.</summary>
    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>EXAIFAST_BREAKER_BREAK_SECS</c>.</summary>
    public TimeSpan BreakerBreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Every model of <paramref name="provider"/> (kimi, glm, openai), its allow-list aside: built-in, then the models file's.</summary>
    public IReadOnlyList<ModelSpec> Catalogue(string provider) =>
        ModelCatalogue.Merge(ModelCatalogue.BuiltIn(provider, OpenAICompatibleModels), ModelEntries.Where(e => e.Provider == provider));

    /// <summary>The allow-list setting of <paramref name="provider"/> and its names (null: none given).</summary>
    public (string Setting, IReadOnlyList<string>? Names) AllowListOf(string provider) => provider switch
    {
        "kimi" => ("KIMI_ALLOWED_MODELS", KimiAllowedModels),
        "glm" => ("GLM_ALLOWED_MODELS", GlmAllowedModels),
        _ => ("OPENAI_COMPATIBLE_ALLOWED_MODELS", OpenAICompatibleAllowedModels),
    };

    /// <summary>Whether <paramref name="model"/> is called <paramref name="name"/> (its name or an alias, as the registry looks names up).</summary>
    public static bool IsCalled(ModelSpec model, string name) =>
        model.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || model.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The models <paramref name="provider"/> serves (its catalogue, less what its allow-list leaves out) and the list.</summary>
    public (IReadOnlyList<ModelSpec> Models, ModelAllowList? AllowList) Served(string provider)
    {
        var catalogue = Catalogue(provider);
        var (setting, names) = AllowListOf(provider);
        if (names is null)
        {
            return (catalogue, null);
        }

        // In catalogue order, not the list's: the provider's default stays its first model that is allowed.
        var allowed = catalogue.Where(m => names.Any(n => IsCalled(m, n))).ToList();
        return (allowed, new ModelAllowList(setting, [.. catalogue.Except(allowed)]));
    }

    /// <summary>The configured providers, in preference order (Kimi, GLM, the generic server): one per key or URL given.</summary>
    public IReadOnlyList<OpenAICompatibleOptions> Configured()
    {
        var timeouts = new ProviderTimeouts(HeadersTimeout, IdleTimeout, TotalTimeout);
        var resilience = new ProviderResilience(MaxRetries, RetryBaseDelay, BreakerFailureRatio, BreakerMinimumThroughput, BreakerSamplingDuration, BreakerBreakDuration,
            BreakerConsecutiveFailures);
        var list = new List<OpenAICompatibleOptions>(3);
        if (KimiApiKey.Length > 0)
        {
            var kimi = Served("kimi");
            list.Add(new OpenAICompatibleOptions
            {
                Name = "kimi", BaseUrl = new Uri(KimiApiUrl), ApiKey = KimiApiKey, KeySetting = "KIMI_API_KEY",
                Models = kimi.Models, AllowList = kimi.AllowList, Dialect = ProviderDialect.Kimi, Timeouts = timeouts, Resilience = resilience,
            });
        }

        if (GlmApiKey.Length > 0)
        {
            var glm = Served("glm");
            list.Add(new OpenAICompatibleOptions
            {
                Name = "glm", BaseUrl = new Uri(GlmApiUrl), ApiKey = GlmApiKey, KeySetting = "GLM_API_KEY",
                Models = glm.Models, AllowList = glm.AllowList, Dialect = ProviderDialect.Glm, Timeouts = timeouts, Resilience = resilience,
            });
        }

        if (OpenAICompatibleBaseUrl.Length > 0)
        {
            var openai = Served("openai");
            list.Add(new OpenAICompatibleOptions
            {
                Name = "openai", BaseUrl = new Uri(OpenAICompatibleBaseUrl), ApiKey = OpenAICompatibleApiKey.Length > 0 ? OpenAICompatibleApiKey : null,
                KeySetting = "OPENAI_COMPATIBLE_API_KEY", Models = openai.Models, AllowList = openai.AllowList, Dialect = ProviderDialect.Generic,
                Timeouts = timeouts, Resilience = resilience,
            });
        }

        return list;
    }
}
