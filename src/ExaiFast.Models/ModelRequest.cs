namespace ExaiFast.Models;

/// <summary>
/// A completion request: the conversation (system, history, user; images where the model takes them) and the options
/// of the call. Whether it streams is whether <see cref="IModelProvider.CompleteAsync"/> is given a token callback; its
/// cancellation token is the call's own.
/// </summary>
public sealed record ModelRequest
{
    /// <summary>The model (a name or alias the provider serves), or null for the provider's default.</summary>
    public string? Model { get; init; }

    /// <summary>The conversation, oldest first; usually a system message, the history, then the user's message.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>0–1.</summary>
    public double Temperature { get; init; } = 0.5;

    /// <summary>A thinking mode (<c>minimal</c> … <c>max</c>) asked of a model that supports thinking; null for none.</summary>
    public string? ThinkingMode { get; init; }

    /// <summary>Let the model search the web where its provider offers that (GLM's web-search tool).</summary>
    public bool UseWebSearch { get; init; }

    /// <summary>An upper bound on the answer's tokens, or null for the model's own.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>For the local model only: simulated latency of this request (overrides LOCAL_MODEL_LATENCY_MS).</summary>
    public int? LatencyMs { get; init; }

    /// <summary>
    /// How long the call has left, when known: a provider never schedules a retry (or honours a Retry-After) that would
    /// end past it. The call's cancellation token still ends the request at the deadline either way.
    /// </summary>
    public TimeSpan? TimeLeft { get; init; }

    /// <summary>The call it is made for, whose token budgets it counts against (<see cref="Budgets.SpendLedger"/>); null for none.</summary>
    public ExaiFast.Core.Tools.CallSpend? Spend { get; init; }

    /// <summary>A request of one system and one user message.</summary>
    public static ModelRequest FromPrompt(string? model, string systemPrompt, MessageText prompt, double temperature = 0.5, int? latencyMs = null) => new()
    {
        Model = model,
        Messages = [new ChatMessage(ChatRole.System, systemPrompt), new ChatMessage(ChatRole.User, prompt)],
        Temperature = temperature,
        LatencyMs = latencyMs,
    };

    /// <summary>The system messages' text, joined by newlines (empty when there is none).</summary>
    public string SystemText()
    {
        string? single = null;
        for (int i = 0; i < Messages.Count; i++)
        {
            if (Messages[i].Role == ChatRole.System)
            {
                single = single is null ? Messages[i].Text.ToString() : single + "\n" + Messages[i].Text.ToString();
            }
        }

        return single ?? string.Empty;
    }

    /// <summary>The last user message's text (empty when there is none).</summary>
    public MessageText LastUserText()
    {
        for (int i = Messages.Count - 1; i >= 0; i--)
        {
            if (Messages[i].Role == ChatRole.User)
            {
                return Messages[i].Text;
            }
        }

        return new MessageText(string.Empty);
    }
}
