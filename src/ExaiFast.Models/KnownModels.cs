namespace ExaiFast.Models;

/// <summary>The models of the built-in providers (the original's <c>kimi_config.py</c> and GLM lists).</summary>
public static class KnownModels
{
    private const ModelCapabilities Fast = ModelCapabilities.Fast;
    private const ModelCapabilities Strong = ModelCapabilities.Strong;
    private const ModelCapabilities Thinking = ModelCapabilities.Thinking;
    private const ModelCapabilities Vision = ModelCapabilities.Vision;
    private const ModelCapabilities WebSearch = ModelCapabilities.WebSearch;

    // Kimi's answers are capped at 8K tokens: Moonshot's own default when max_tokens is absent is far lower (its answers
    // stopped at the limit), and its rate limiter reserves a request's max_tokens against the account's tokens per
    // minute, so asking for a model's whole window would make every call cost its window. 8K is ample for a tool's
    // answer; one that needs more ends with finish_reason=length, which the caller sees.
    private const int KimiAnswer = 8_192;

    /// <summary>Moonshot Kimi; the first is the default.</summary>
    public static IReadOnlyList<ModelSpec> Kimi { get; } =
    [
        new("kimi-k2-0905-preview", 262_144, Strong | Vision, ["kimi-k2"]) { MaxOutputTokens = KimiAnswer },
        new("kimi-k2-turbo-preview", 262_144, Fast, ["kimi-turbo"]) { MaxOutputTokens = KimiAnswer },
        new("kimi-k2-0711-preview", 131_072, Strong) { MaxOutputTokens = KimiAnswer },
        new("kimi-thinking-preview", 131_072, Strong | Thinking, ["kimi-thinking"]) { MaxOutputTokens = KimiAnswer },
        new("kimi-latest", 131_072, Vision) { MaxOutputTokens = KimiAnswer },
        new("moonshot-v1-8k", 8_192, Fast) { MaxOutputTokens = 4_096 }, // prompt and answer share the 8K window
        new("moonshot-v1-32k", 32_768, ModelCapabilities.None) { MaxOutputTokens = KimiAnswer },
        new("moonshot-v1-128k", 131_072, ModelCapabilities.None) { MaxOutputTokens = KimiAnswer },
        new("moonshot-v1-8k-vision-preview", 8_192, Vision) { MaxOutputTokens = 4_096 },
        new("moonshot-v1-32k-vision-preview", 32_768, Vision) { MaxOutputTokens = KimiAnswer },
        new("moonshot-v1-128k-vision-preview", 131_072, Vision) { MaxOutputTokens = KimiAnswer },
    ];

    /// <summary>Zhipu GLM, with the output limits Z.ai documents; the first is the default (the original's <c>glm-4.5-flash</c>).</summary>
    public static IReadOnlyList<ModelSpec> Glm { get; } =
    [
        new("glm-4.5-flash", 131_072, Fast | WebSearch, ["glm-flash"]) { MaxOutputTokens = 98_304 },
        new("glm-4.6", 204_800, Strong | Thinking | WebSearch, ["glm"]) { MaxOutputTokens = 131_072 },
        new("glm-4.5", 131_072, Strong | Thinking | WebSearch) { MaxOutputTokens = 98_304 },
        new("glm-4.5-air", 131_072, Thinking | WebSearch, ["glm-4.5-x"]) { MaxOutputTokens = 98_304 },
        new("glm-4.5v", 65_536, Vision) { MaxOutputTokens = 16_384 },
    ];

    /// <summary>Models named in <c>OPENAI_COMPATIBLE_MODELS</c>: nothing is known of them but their names.</summary>
    public static IReadOnlyList<ModelSpec> Named(IEnumerable<string> names) =>
        [.. names.Select(n => new ModelSpec(n, 0, ModelCapabilities.None))];
}
