namespace ExaiFast.Models;

/// <summary>The models of the built-in providers (the original's <c>kimi_config.py</c> and GLM lists).</summary>
public static class KnownModels
{
    private const ModelCapabilities Fast = ModelCapabilities.Fast;
    private const ModelCapabilities Strong = ModelCapabilities.Strong;
    private const ModelCapabilities Thinking = ModelCapabilities.Thinking;
    private const ModelCapabilities Vision = ModelCapabilities.Vision;
    private const ModelCapabilities WebSearch = ModelCapabilities.WebSearch;

    /// <summary>Moonshot Kimi; the first is the default.</summary>
    public static IReadOnlyList<ModelSpec> Kimi { get; } =
    [
        new("kimi-k2-0905-preview", 262_144, Strong | Vision, ["kimi-k2"]),
        new("kimi-k2-turbo-preview", 262_144, Fast, ["kimi-turbo"]),
        new("kimi-k2-0711-preview", 131_072, Strong),
        new("kimi-thinking-preview", 131_072, Strong | Thinking, ["kimi-thinking"]),
        new("kimi-latest", 131_072, Vision),
        new("moonshot-v1-8k", 8_192, Fast),
        new("moonshot-v1-32k", 32_768, ModelCapabilities.None),
        new("moonshot-v1-128k", 131_072, ModelCapabilities.None),
        new("moonshot-v1-8k-vision-preview", 8_192, Vision),
        new("moonshot-v1-32k-vision-preview", 32_768, Vision),
        new("moonshot-v1-128k-vision-preview", 131_072, Vision),
    ];

    /// <summary>Zhipu GLM; the first is the default (the original's <c>glm-4.5-flash</c>).</summary>
    public static IReadOnlyList<ModelSpec> Glm { get; } =
    [
        new("glm-4.5-flash", 131_072, Fast | WebSearch, ["glm-flash"]),
        new("glm-4.6", 204_800, Strong | Thinking | WebSearch, ["glm"]),
        new("glm-4.5", 131_072, Strong | Thinking | WebSearch),
        new("glm-4.5-air", 131_072, Thinking | WebSearch, ["glm-4.5-x"]),
        new("glm-4.5v", 65_536, Vision),
    ];

    /// <summary>Models named in <c>OPENAI_COMPATIBLE_MODELS</c>: nothing is known of them but their names.</summary>
    public static IReadOnlyList<ModelSpec> Named(IEnumerable<string> names) =>
        [.. names.Select(n => new ModelSpec(n, 0, ModelCapabilities.None))];
}
