using System.Globalization;
using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// A tool's answer cut to an MCP session's output budget (<c>MAX_MCP_OUTPUT_TOKENS</c>): clients such as Claude Code
/// refuse or silently drop an answer past their own limit, so the daemon cuts it first, at a line boundary, and says so
/// at the end — how much was left out, and where the whole answer is (the thread's resource and its continuation_id).
/// </summary>
/// <remarks>Tokens are estimated as <see cref="CharsPerToken"/> UTF-16 characters each, the rule of thumb the history
/// window also uses; the notice counts against the budget. exai-ws answers are never cut: programs read them whole.
/// Only a single-text answer is cut; one of several items (images, resources) goes as the tool made it.</remarks>
internal sealed record OutputCut(string Text, int OmittedChars, int OmittedLines, Guid? Thread)
{
    /// <summary>UTF-16 characters per token, estimated.</summary>
    public const int CharsPerToken = 4;

    // Room kept for the notice, so that kept text and notice together stay within the budget.
    private const int NoticeReserve = 480;

    /// <summary>The cut of <paramref name="result"/> under <paramref name="maxTokens"/>, or null when it fits (or is an error).</summary>
    public static OutputCut? Of(CallResult result, int maxTokens)
    {
        if (maxTokens <= 0 || result.Error is not null || result.Content is not null || result.Text is not { } text
            || text.Length <= (long)maxTokens * CharsPerToken)
        {
            return null;
        }

        int limit = (int)Math.Max(1, Math.Min(int.MaxValue, (long)maxTokens * CharsPerToken - NoticeReserve));
        int end = text.LastIndexOf('\n', limit - 1);
        bool midLine = end <= 0;
        if (midLine)
        {
            end = char.IsHighSurrogate(text[limit - 1]) ? limit - 1 : limit; // never half a pair
        }

        string kept = text[..end];
        int omitted = text.Length - end;
        int lines = omitted == 0 ? 0 : text.AsSpan(end).TrimStart('\n').Count('\n') + 1;
        Guid? thread = result.ContinuationId is { } id && Guid.TryParse(id, out var g) ? g : null;
        string where = thread is { } t
            ? $"The whole answer is kept in conversation thread {t}: read the resource {ThreadResources.UriOf(t)} (resources/read), or pass continuation_id {t} to go on from it."
            : "This tool keeps no conversation, so the rest is not kept: ask for a shorter answer, or raise MAX_MCP_OUTPUT_TOKENS.";
        string notice = string.Create(CultureInfo.InvariantCulture,
            $"\n\n[Answer cut {(midLine ? "mid-line (no line break early enough)" : "at a line break")}: it is over MAX_MCP_OUTPUT_TOKENS ({maxTokens:N0} tokens, estimated at {CharsPerToken} characters per token). {omitted:N0} more characters ({lines:N0} line{(lines == 1 ? "" : "s")}, about {(omitted + CharsPerToken - 1) / CharsPerToken:N0} tokens) were left out. {where}]");
        return new OutputCut(kept + notice, omitted, lines, thread);
    }
}
