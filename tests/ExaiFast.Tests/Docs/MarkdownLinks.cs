using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ExaiFast.Tests.Docs;

/// <summary>
/// The relative links of a Markdown document that lead nowhere: a file that does not exist, or an anchor that no heading
/// of the target makes. Anchors are made from headings as GitHub makes them, since that is where the documents are read.
/// </summary>
/// <remarks>Links inside fenced code blocks and inline code are text, not links; absolute URLs (<c>https:</c>,
/// <c>mailto:</c>) are not followed.</remarks>
internal static partial class MarkdownLinks
{
    /// <summary>One broken link: where it is and why.</summary>
    public sealed record Broken(string Document, int Line, string Target, string Reason)
    {
        public override string ToString() => $"{Document}:{Line}: ({Target}) {Reason}";
    }

    /// <summary>The broken relative links of <paramref name="path"/>, a file inside <paramref name="root"/>.</summary>
    public static IReadOnlyList<Broken> Check(string root, string path)
    {
        string fullRoot = Path.GetFullPath(root);
        string document = Path.GetRelativePath(fullRoot, path).Replace('\\', '/');
        var broken = new List<Broken>();
        foreach (var (line, target) in Links(File.ReadAllText(path)))
        {
            string file = target;
            string? anchor = null;
            int hash = target.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                file = target[..hash];
                anchor = Uri.UnescapeDataString(target[(hash + 1)..]);
            }

            string resolved = file.Length == 0 ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));
            if (!resolved.StartsWith(fullRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                broken.Add(new Broken(document, line, target, "points outside the repository"));
            }
            else if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add(new Broken(document, line, target, "no such file"));
            }
            else if (anchor is not null)
            {
                if (!resolved.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
                {
                    broken.Add(new Broken(document, line, target, "an anchor into a file that is not Markdown"));
                }
                else if (!Anchors(File.ReadAllText(resolved)).Contains(anchor))
                {
                    broken.Add(new Broken(document, line, target, $"no heading of {Path.GetFileName(resolved)} makes the anchor #{anchor}"));
                }
            }
        }

        return broken;
    }

    /// <summary>Every relative link target of <paramref name="markdown"/>, with its 1-based line.</summary>
    public static IEnumerable<(int Line, string Target)> Links(string markdown)
    {
        int number = 0;
        foreach (var (line, inFence) in Lines(markdown))
        {
            number++;
            if (inFence)
            {
                continue;
            }

            // Inline code becomes a placeholder, not nothing: [`x`](y) is still a link.
            string text = InlineCode().Replace(line, "code");
            foreach (Match m in Link().Matches(text))
            {
                string target = m.Groups["target"].Value;
                if (!Scheme().IsMatch(target))
                {
                    yield return (number, target);
                }
            }
        }
    }

    /// <summary>The anchors the headings of <paramref name="markdown"/> make, as GitHub makes them.</summary>
    public static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, inFence) in Lines(markdown))
        {
            if (inFence || Heading().Match(line) is not { Success: true } heading)
            {
                continue;
            }

            string slug = Slug(heading.Groups["text"].Value);
            int repeats = seen.GetValueOrDefault(slug);
            seen[slug] = repeats + 1;
            anchors.Add(repeats == 0 ? slug : $"{slug}-{repeats.ToString(CultureInfo.InvariantCulture)}");
        }

        return anchors;
    }

    /// <summary>
    /// GitHub's anchor for a heading: its text (a link's label, not its target), lower-cased, with every character but
    /// letters, marks, digits, connector punctuation, spaces and hyphens dropped, and each space made a hyphen.
    /// </summary>
    public static string Slug(string heading)
    {
        string text = Link().Replace(heading.Trim(), "${label}").ToLowerInvariant();
        var slug = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            var category = char.GetUnicodeCategory(c);
            if (c == ' ')
            {
                slug.Append('-');
            }
            else if (c == '-' || char.IsLetterOrDigit(c) || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
                or UnicodeCategory.EnclosingMark or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber)
            {
                slug.Append(c);
            }
        }

        return slug.ToString();
    }

    // Each line, and whether it is inside a fenced code block (the fences themselves count as inside).
    private static IEnumerable<(string Line, bool InFence)> Lines(string markdown)
    {
        bool inFence = false;
        foreach (string line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                yield return (line, true);
                continue;
            }

            yield return (line, inFence);
        }
    }

    [GeneratedRegex(@"\[(?<label>[^\]]*)\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
