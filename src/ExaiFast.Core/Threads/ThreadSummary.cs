namespace ExaiFast.Core.Threads;

/// <summary>What a list of conversation threads shows of one: enough to pick it, not its turns.</summary>
/// <param name="Id">The thread's <c>continuation_id</c>.</param>
/// <param name="Title">Its first request, shortened to one line.</param>
/// <param name="Tool">The tool of its newest turn.</param>
/// <param name="Model">The model of its newest answered turn, if any.</param>
/// <param name="Turns">How many turns it holds.</param>
/// <param name="CreatedAt">When its first turn was recorded.</param>
/// <param name="UpdatedAt">When its newest turn was recorded.</param>
public sealed record ThreadSummary(Guid Id, string Title, string Tool, string? Model, int Turns, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>Most characters of a <see cref="Title"/>.</summary>
    public const int MaxTitleChars = 80;

    /// <summary><paramref name="request"/>'s first non-blank line, cut to <see cref="MaxTitleChars"/> with an ellipsis.</summary>
    public static string TitleOf(string request)
    {
        ReadOnlySpan<char> line = request.AsSpan().Trim();
        int end = line.IndexOfAny('\r', '\n');
        if (end >= 0)
        {
            line = line[..end].TrimEnd();
        }

        if (line.Length == 0)
        {
            return "(empty request)";
        }

        if (line.Length <= MaxTitleChars)
        {
            return line.ToString();
        }

        int cut = MaxTitleChars - 1;
        if (char.IsHighSurrogate(line[cut - 1]))
        {
            cut--; // never half a pair
        }

        return string.Concat(line[..cut], "…");
    }
}
