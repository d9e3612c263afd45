namespace ExaiFast.Models.OpenAICompatible;

/// <summary>One configured OpenAI-compatible provider (Kimi, GLM or a generic server).</summary>
public sealed record OpenAICompatibleOptions
{
    /// <summary>Provider and lane name: <c>kimi</c>, <c>glm</c> or <c>openai</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The API base; requests go to <c>{BaseUrl}/chat/completions</c>.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>The API key (sent as <c>Authorization: Bearer</c>), or null for a server that needs none (Ollama).</summary>
    public string? ApiKey { get; init; }

    /// <summary>The setting the key came from, named in errors instead of the key (<c>KIMI_API_KEY</c>).</summary>
    public required string KeySetting { get; init; }

    /// <summary>The models it serves; the first is its default.</summary>
    public required IReadOnlyList<ModelSpec> Models { get; init; }

    /// <summary>The allow-list that chose <see cref="Models"/> from the provider's catalogue, or null.</summary>
    public ModelAllowList? AllowList { get; init; }

    /// <summary>Payload extras.</summary>
    public ProviderDialect Dialect { get; init; }

    /// <summary>Deadlines of one provider call.</summary>
    public ProviderTimeouts Timeouts { get; init; } = ProviderTimeouts.Default;

    /// <summary>Retries and circuit breaker.</summary>
    public ProviderResilience Resilience { get; init; } = ProviderResilience.Default;

    /// <summary>The name of its <see cref="System.Net.Http.IHttpClientFactory"/> client.</summary>
    public string HttpClientName => "exaifast-" + Name;

    /// <summary>Never shows the key.</summary>
    public override string ToString() => $"{Name} at {BaseUrl} ({(ApiKey is null ? "no key" : KeySetting + " set")})";
}
