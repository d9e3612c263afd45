using ExaiFast.Core.Tools;

namespace ExaiFast.Server;

/// <summary>
/// How every door refuses a tool the settings turned off: the refusal it gives a name that is no tool (a client handles
/// both alike), plus which setting did it, so that whoever reads the error knows where to look.
/// </summary>
internal static class DisabledTool
{
    private const string Prefix = ": it is disabled on this daemon by ";

    /// <summary>The note for <paramref name="name"/>, or empty when it is simply no tool.</summary>
    public static string Note(IToolCatalog tools, string name) => tools.DisabledBy(name) is { } setting ? Prefix + setting : "";

    /// <summary>The note in a daemon's refusal (the stdio bridge passes it on), or empty.</summary>
    public static string NoteIn(string message) => message.IndexOf(Prefix, StringComparison.Ordinal) is int at and >= 0 ? message[at..] : "";
}
