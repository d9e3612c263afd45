using System.Text;

namespace ExaiFast.Tests.Docs;

/// <summary>
/// A documented command line cut into words as a POSIX shell cuts it: single quotes keep everything, double quotes keep
/// all but <c>\"</c>, <c>\\</c>, <c>\$</c> and <c>\`</c>, a backslash outside quotes keeps the next character, and a
/// <c>#</c> that starts a word starts a comment. Nothing is expanded: the documents show literal values.
/// </summary>
internal static class ShellWords
{
    /// <summary>The words of <paramref name="line"/> and its comment (without the <c>#</c>, trimmed; empty when none).</summary>
    public static (IReadOnlyList<string> Words, string Comment) Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            if (c == '#' && !inWord)
            {
                return (words, line[(i + 1)..].Trim());
            }

            inWord = true;
            switch (c)
            {
                case '\'':
                    int close = line.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"an unclosed ' in: {line}");
                    }

                    word.Append(line, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i++;
                    for (; i < line.Length && line[i] != '"'; i++)
                    {
                        if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(line[i]);
                    }

                    if (i >= line.Length)
                    {
                        throw new FormatException($"an unclosed \" in: {line}");
                    }

                    break;
                case '\\' when i + 1 < line.Length:
                    word.Append(line[++i]);
                    break;
                default:
                    word.Append(c);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return (words, string.Empty);
    }
}
