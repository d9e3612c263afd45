namespace ExaiFast.Models;

/// <summary>What a model is good for; auto routing reads these.</summary>
[Flags]
public enum ModelCapabilities
{
    /// <summary>Nothing known.</summary>
    None = 0,

    /// <summary>Answers quickly and cheaply: simple tools, early workflow steps.</summary>
    Fast = 1,

    /// <summary>A strong model: deep analysis, final steps, consensus, security audits.</summary>
    Strong = 2,

    /// <summary>Takes a thinking mode (GLM <c>thinking: {type: enabled}</c>) or always reasons (kimi-thinking).</summary>
    Thinking = 4,

    /// <summary>Takes images.</summary>
    Vision = 8,

    /// <summary>Can search the web (its provider offers a web-search tool).</summary>
    WebSearch = 16,
}
