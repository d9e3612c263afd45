namespace ExaiFast.Configuration;

/// <summary>Reads <c>.env</c> files: <c>KEY=value</c> lines, <c>#</c> comments, optional <c>export </c>, optional quotes.</summary>
internal static class DotEnvFile
{
    /// <summary>
    /// Parses the file's text. A line that is not a comment and has no <c>=</c> adds a problem naming its line number
    /// (every such line, not the first only) and is skipped.
    /// </summary>
    public static Dictionary<string, string> Parse(string text, string fileName, ICollection<string> problems)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                problems.Add($"{fileName}:{lineNumber}: expected KEY=value");
                continue;
            }

            string key = line[..eq].Trim();
            string value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }
            else
            {
                int comment = value.IndexOf(" #", StringComparison.Ordinal);
                if (comment >= 0)
                {
                    value = value[..comment].TrimEnd();
                }
            }

            result[key] = value;
        }

        return result;
    }
}
