namespace ExaiFast.Core.Tools;

/// <summary>What a tool returns on success (a struct: the dispatcher copies it into the stored result).</summary>
/// <param name="Text">The text output: with <see cref="Content"/>, its text items joined by newlines.</param>
/// <param name="Provider">The provider that answered, if a model was used.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="ContinuationId">The conversation thread to continue, if any.</param>
public readonly record struct ToolOutput(string Text, string? Provider = null, string? Model = null, string? ContinuationId = null)
{
    /// <summary>Why this model answered (auto routing's choice, fallbacks taken), for the result's metadata; null without a model.</summary>
    public string? Route { get; init; }

    /// <summary>The model request's tokens, when the provider reported them.</summary>
    public TokenCounts? Usage { get; init; }

    /// <summary>
    /// Items beyond one text (images, audio, embedded resources, several texts), in order; null for the usual single
    /// text result, which then costs nothing more. Set only by <see cref="WithContent"/>, so <see cref="Text"/> always
    /// agrees with it.
    /// </summary>
    public IReadOnlyList<ContentItem>? Content { get; private init; }

    /// <summary>An output of several items; <see cref="Text"/> is derived from the text items (exai-ws <c>text</c>).</summary>
    public static ToolOutput WithContent(IReadOnlyList<ContentItem> content, string? provider = null, string? model = null, string? continuationId = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        return new ToolOutput(TextOf(content), provider, model, continuationId) { Content = content };
    }

    /// <summary>The text items of <paramref name="content"/> joined by newlines (empty when there are none).</summary>
    public static string TextOf(IReadOnlyList<ContentItem> content)
    {
        string? single = null;
        System.Text.StringBuilder? many = null;
        for (int i = 0; i < content.Count; i++)
        {
            if (content[i] is not { Kind: ContentKind.Text, Text: { } text })
            {
                continue;
            }

            if (single is null)
            {
                single = text;
            }
            else
            {
                (many ??= new System.Text.StringBuilder(single)).Append('\n').Append(text);
            }
        }

        return many?.ToString() ?? single ?? string.Empty;
    }
}
