using ExaiFast.Core.Tools;
using ExaiFast.Models;

namespace ExaiFast.Tools.Threads;

/// <summary>
/// Rebuilds a thread's history into a model request that fits the model's context window: the newest turns are kept,
/// older ones left out with a note saying how many — never a request that silently overflows (the original once sent
/// 4.7 million input tokens in one call).
/// </summary>
/// <remarks>Tokens are estimated as UTF-16 characters / 4, the usual rule of thumb for English and code; the estimate
/// only decides what to leave out, and leaves a quarter of the window (up to 16k tokens) for the answer.</remarks>
internal static class HistoryWindow
{
    /// <summary>Characters per token, estimated.</summary>
    public const int CharsPerToken = 4;

    /// <summary>The window assumed for a model whose window is unknown (named in OPENAI_COMPATIBLE_MODELS, or local).</summary>
    public const int UnknownWindow = 128_000;

    /// <summary>
    /// The messages to send: <paramref name="system"/>, as many of <paramref name="thread"/>'s newest turns as fit, then
    /// <paramref name="current"/>. Throws INVALID_ARGUMENTS when the system prompt and the current message alone do not fit.
    /// </summary>
    /// <param name="system">The tool's system prompt.</param>
    /// <param name="thread">The thread continued, if any.</param>
    /// <param name="current">This call's user message (files embedded).</param>
    /// <param name="model">The model that will answer: its context window is the budget.</param>
    /// <param name="dropped">Turns left out.</param>
    public static List<ChatMessage> Build(string system, ConversationThread? thread, ChatMessage current, ModelSpec model, out int dropped)
    {
        int window = model.ContextWindow > 0 ? model.ContextWindow : UnknownWindow;
        long budget = window - Math.Min(window / 4, 16_384);
        long fixedCost = Estimate(system) + Estimate(current.Text);
        if (fixedCost > budget && model.ContextWindow > 0)
        {
            // Only for a model whose window is known: of an unknown one (local, OPENAI_COMPATIBLE_MODELS) the server
            // itself says when a request is too big, and history is then left out whole.
            throw new ToolArgumentException(
                $"the prompt and files come to about {fixedCost:N0} tokens, more than model '{model.Name}' takes ({window:N0}-token context window, {window - budget:N0} kept for the answer); send less, or choose a model with a larger window from listmodels");
        }

        dropped = 0;
        var turns = thread?.Turns ?? [];
        long left = Math.Max(0, budget - fixedCost);
        int first = turns.Count;
        while (first > 0)
        {
            long cost = Estimate(RequestText(turns[first - 1])) + Estimate(turns[first - 1].Answer);
            if (cost > left)
            {
                break;
            }

            left -= cost;
            first--;
        }

        dropped = first;
        var messages = new List<ChatMessage>(2 + 2 * (turns.Count - first)) { new(ChatRole.System, system) };
        if (dropped > 0)
        {
            messages.Add(new ChatMessage(ChatRole.System,
                $"(The {dropped} oldest turn{(dropped == 1 ? "" : "s")} of this conversation {(dropped == 1 ? "was" : "were")} left out to fit the model's context window.)"));
        }

        for (int i = first; i < turns.Count; i++)
        {
            messages.Add(new ChatMessage(ChatRole.User, RequestText(turns[i])));
            if (turns[i].Answer.Length > 0)
            {
                messages.Add(new ChatMessage(ChatRole.Assistant, turns[i].Answer));
            }
        }

        messages.Add(current);
        return messages;
    }

    /// <summary>Estimated tokens of <paramref name="text"/>.</summary>
    public static long Estimate(string text) => Estimate(text.Length);

    /// <summary>Estimated tokens of <paramref name="text"/>.</summary>
    public static long Estimate(MessageText text) => Estimate(text.Length);

    private static long Estimate(int chars) => (chars + (long)CharsPerToken - 1) / CharsPerToken;

    // What the model is reminded of for an earlier turn: which tool, what was asked, and for a workflow step its findings.
    private static string RequestText(ThreadTurn turn)
    {
        if (turn.Step is not { } step)
        {
            return turn.Files.Count == 0
                ? $"[{turn.Tool}] {turn.Request}"
                : $"[{turn.Tool}] {turn.Request}\n(files: {string.Join(", ", turn.Files)})";
        }

        return $"[{turn.Tool} step {step.StepNumber}/{step.TotalSteps}, confidence {step.Confidence}] {turn.Request}\nFindings: {step.Findings}" +
            (step.Hypothesis is { } h ? $"\nHypothesis: {h}" : "");
    }
}
