namespace ExaiFast.Models.OpenAICompatible;

/// <summary>How a provider's chat-completions payload departs from plain OpenAI.</summary>
public enum ProviderDialect
{
    /// <summary>Plain OpenAI chat completions (Ollama, vLLM, llama.cpp's server, OpenRouter, …).</summary>
    Generic,

    /// <summary>
    /// Moonshot Kimi: plain, with <c>reasoning_content</c> from its thinking models, usage inside its stream's last choice,
    /// and an <c>Idempotency-Key</c> header per call (the same on its retries).
    /// </summary>
    Kimi,

    /// <summary>Zhipu GLM: <c>thinking: {type: enabled}</c> and a <c>web_search</c> provider tool.</summary>
    Glm,
}
