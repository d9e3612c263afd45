namespace ExaiFast.Tests.Docs;

/// <summary>
/// The command lines of the fenced shell blocks (<c>sh</c>, <c>bash</c>, <c>shell</c>, <c>console</c>) of README.md and
/// docs/*.md: what a reader copies and runs. A line ending in <c>\</c> goes on on the next; a <c># comment</c> is kept
/// apart, and a line that is only a comment is no command. In a <c>console</c> block only <c>$ </c> lines are commands
/// (the rest is their output).
/// </summary>
internal static class DocumentedCommands
{
    private static readonly string[] ShellInfo = ["sh", "bash", "shell", "console"];

    /// <summary>README.md and every Markdown file directly under docs/, relative to <paramref name="root"/>.</summary>
    public static IReadOnlyList<string> Documents(string root) =>
        ["README.md", .. Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Select(p => "docs/" + Path.GetFileName(p)).Order(StringComparer.Ordinal)];

    /// <summary>Every command line of every document under <paramref name="root"/>, in document order.</summary>
    public static IReadOnlyList<DocumentedCommand> All(string root) =>
        [.. Documents(root).SelectMany(d => Read(d, File.ReadAllText(Path.Combine(root, d))))];

    /// <summary>The command lines of <paramref name="markdown"/>, named as from <paramref name="document"/>.</summary>
    public static IEnumerable<DocumentedCommand> Read(string document, string markdown)
    {
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        int block = 0;
        bool console = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string trimmed = lines[i].TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                if (block != 0)
                {
                    block = 0;
                }
                else
                {
                    string info = trimmed[3..].Trim().Split(' ', 2)[0];
                    block = ShellInfo.Contains(info, StringComparer.Ordinal) ? i + 1 : -1;
                    console = info == "console";
                }

                continue;
            }

            if (block <= 0)
            {
                continue;
            }

            int first = i;
            string text = lines[i];
            if (console)
            {
                if (!text.StartsWith("$ ", StringComparison.Ordinal))
                {
                    continue;
                }

                text = text[2..];
            }

            // A continuation joins only outside a comment: "# a \" ends a comment, not a line.
            while (text.TrimEnd().EndsWith('\\') && ShellWords.Split(text.TrimEnd()[..^1]).Comment.Length == 0 && i + 1 < lines.Length
                && !lines[i + 1].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                text = text.TrimEnd()[..^1].TrimEnd() + " " + lines[++i].Trim();
            }

            var (words, comment) = ShellWords.Split(text);
            if (words.Count == 0)
            {
                continue; // blank, or a comment only
            }

            int hash = CommentStart(text);
            yield return new DocumentedCommand(document, first + 1, block, (hash < 0 ? text : text[..hash]).Trim(), comment);
        }
    }

    // Where the comment of a line starts: the first # that begins a word outside quotes; -1 for none.
    private static int CommentStart(string text)
    {
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"')
                {
                    i++;
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '\\')
            {
                i++;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
            {
                return i;
            }
        }

        return -1;
    }
}
