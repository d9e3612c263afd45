using ExaiFast.Models;
using ExaiFast.Models.OpenAICompatible;

namespace ExaiFast.Configuration;

/// <summary>The model providers' settings: keys, URLs, models, deadlines, retries and breakers.</summary>
public sealed record ProviderSettings
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

    /// <summary>The configured providers, in preference order (Kimi, GLM, the generic server): one per key or URL given.</summary>
    public IReadOnlyList<OpenAICompatibleOptions> Configured()
    {
        var timeouts = new ProviderTimeouts(HeadersTimeout, IdleTimeout, TotalTimeout);
        var resilience = new ProviderResilience(MaxRetries, RetryBaseDelay, BreakerFailureRatio, BreakerMinimumThroughput, BreakerSamplingDuration, BreakerBreakDuration,
            BreakerConsecutiveFailures);
        var list = new List<OpenAICompatibleOptions>(3);
        if (KimiApiKey.Length > 0)
        {
            list.Add(new OpenAICompatibleOptions
            {
                Name = "kimi", BaseUrl = new Uri(KimiApiUrl), ApiKey = KimiApiKey, KeySetting = "KIMI_API_KEY",
                Models = KnownModels.Kimi, Dialect = ProviderDialect.Kimi, Timeouts = timeouts, Resilience = resilience,
            });
        }

        if (GlmApiKey.Length > 0)
        {
            list.Add(new OpenAICompatibleOptions
            {
                Name = "glm", BaseUrl = new Uri(GlmApiUrl), ApiKey = GlmApiKey, KeySetting = "GLM_API_KEY",
                Models = KnownModels.Glm, Dialect = ProviderDialect.Glm, Timeouts = timeouts, Resilience = resilience,
            });
        }

        if (OpenAICompatibleBaseUrl.Length > 0)
        {
            list.Add(new OpenAICompatibleOptions
            {
                Name = "openai", BaseUrl = new Uri(OpenAICompatibleBaseUrl), ApiKey = OpenAICompatibleApiKey.Length > 0 ? OpenAICompatibleApiKey : null,
                KeySetting = "OPENAI_COMPATIBLE_API_KEY", Models = KnownModels.Named(OpenAICompatibleModels), Dialect = ProviderDialect.Generic,
                Timeouts = timeouts, Resilience = resilience,
            });
        }

        return list;
    }
}
