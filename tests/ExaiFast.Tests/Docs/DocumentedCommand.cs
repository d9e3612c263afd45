using System.Text.RegularExpressions;

namespace ExaiFast.Tests.Docs;

/// <summary>
/// One command line of a fenced shell block of a document: where it is (its first line, 1-based, and the line of the
/// block's opening fence), its text with continuations joined and its comment dropped, and its words: the leading
/// <c>NAME=value</c> assignments, the program, its arguments.
/// </summary>
internal sealed partial class DocumentedCommand(string document, int line, int block, string text, string comment)
{
    public string Document { get; } = document;

    public int Line { get; } = line;

    public int Block { get; } = block;

    public string Text { get; } = text;

    public string Comment { get; } = comment;

    /// <summary>Where it is, as an editor takes it: <c>docs/tools.md:112</c>.</summary>
    public string Where => $"{Document}:{Line}";

    /// <summary>Its block: <c>docs/tools.md:110</c>, the line of the opening fence.</summary>
    public string BlockName => $"{Document}:{Block}";

    /// <summary>Every word, the assignments included.</summary>
    public IReadOnlyList<string> Words { get; } = ShellWords.Split(text).Words;

    /// <summary>The leading <c>NAME=value</c> words, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment =>
        [.. Words.TakeWhile(w => Assignment().IsMatch(w)).Select(w => new KeyValuePair<string, string>(w[..w.IndexOf('=', StringComparison.Ordinal)], w[(w.IndexOf('=', StringComparison.Ordinal) + 1)..]))];

    /// <summary>The program: the first word after the assignments (empty for a line of assignments only).</summary>
    public string Program => Words.Skip(Environment.Count).FirstOrDefault() ?? string.Empty;

    /// <summary>The program's arguments.</summary>
    public IReadOnlyList<string> Arguments => [.. Words.Skip(Environment.Count + 1)];

    public override string ToString() => $"{Where}: {Text}";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*=")]
    private static partial Regex Assignment();
}
