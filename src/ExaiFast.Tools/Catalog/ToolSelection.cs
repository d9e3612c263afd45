using ExaiFast.Tools.Conformance;
using ExaiFast.Tools.Workflows;

namespace ExaiFast.Tools.Catalog;

/// <summary>
/// Which tools the daemon offers: a profile or list (<c>EXAIFAST_TOOLS</c>) minus <c>DISABLED_TOOLS</c>. Every door lists
/// and calls through the catalog this selects from, so a tool left out is neither listed nor callable anywhere.
/// </summary>
/// <remarks>Immutable; thread-safe.</remarks>
public sealed class ToolSelection
{
    /// <summary>The setting that picks the profile or list.</summary>
    public const string ProfileKey = "EXAIFAST_TOOLS";

    /// <summary>The setting that removes tools from it.</summary>
    public const string DisabledKey = "DISABLED_TOOLS";

    /// <summary>The tools of the <c>lean</c> profile: what a coding assistant reaches for, at a third of the listing.</summary>
    public static readonly string[] Lean = ["chat", "thinkdeep", "codereview", "debug", "planner", "consensus", "challenge", "listmodels"];

    /// <summary>Every tool name the daemon knows (the conformance suite's test tools included), list order.</summary>
    public static IReadOnlyList<string> Known { get; } =
    [
        .. new[] { "chat", "challenge", "planner", "consensus", "listmodels", "version", "status" }
            .Concat(WorkflowCatalog.All.Select(s => s.Name))
            .Concat(ConformanceTools.Names)
            .Order(StringComparer.Ordinal),
    ];

    private readonly HashSet<string>? _profile;
    private readonly HashSet<string> _disabled;

    private ToolSelection(string profile, HashSet<string>? included, HashSet<string> disabled)
    {
        Profile = profile;
        _profile = included;
        _disabled = disabled;
    }

    /// <summary>Every tool.</summary>
    public static ToolSelection Full { get; } = new("full", null, new HashSet<string>(StringComparer.Ordinal));

    /// <summary>The profile as given: <c>full</c>, <c>lean</c> or a list of names.</summary>
    public string Profile { get; }

    /// <summary>
    /// The selection <paramref name="profile"/> (<c>full</c>, <c>lean</c> or comma-separated names; empty: full) and
    /// <paramref name="disabled"/> (comma-separated names) make. Throws <see cref="ArgumentException"/> naming an unknown
    /// tool; <see cref="Validate"/> says the same without throwing.
    /// </summary>
    public static ToolSelection Parse(string profile, string disabled)
    {
        string p = profile.Trim();
        HashSet<string>? included = null;
        if (p.Equals("lean", StringComparison.OrdinalIgnoreCase))
        {
            (p, included) = ("lean", new HashSet<string>(Lean, StringComparer.Ordinal));
        }
        else if (p.Length == 0 || p.Equals("full", StringComparison.OrdinalIgnoreCase))
        {
            p = "full";
        }
        else
        {
            included = ParseNames(p, out string? error) ?? throw new ArgumentException($"{ProfileKey}: {error}", nameof(profile));
        }

        var off = ParseNames(disabled, out string? bad) ?? throw new ArgumentException($"{DisabledKey}: {bad}", nameof(disabled));
        return new ToolSelection(p, included, off);
    }

    /// <summary>Checks one setting's text (a profile when <paramref name="profile"/>): null, or the form it must take.</summary>
    public static string? Validate(string text, bool profile)
    {
        string t = text.Trim();
        if (profile && (t.Length == 0 || t.Equals("full", StringComparison.OrdinalIgnoreCase) || t.Equals("lean", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        if (ParseNames(t, out string? error) is not { } names)
        {
            return (profile ? "full, lean or " : "") + error;
        }

        // A list that names no tool (",") would leave a daemon with nothing to offer: surely not what was meant.
        return profile && names.Count == 0 ? "full, lean or a comma-separated list of tool names (it names none)" : null;
    }

    /// <summary>Why <paramref name="name"/> is not offered (the setting that leaves it out), or null when it is.</summary>
    public string? DisabledBy(string name)
    {
        if (_profile is not null && !_profile.Contains(name))
        {
            return $"{ProfileKey}={Profile}";
        }

        return _disabled.Contains(name) ? DisabledKey : null;
    }

    private static HashSet<string>? ParseNames(string text, out string? error)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string name = raw.ToLowerInvariant();
            if (!Known.Contains(name, StringComparer.Ordinal))
            {
                // The test tools are left out of the hint: they are for the conformance suite, not for choosing.
                error = $"a comma-separated list of tool names ('{raw}' is no tool; the tools: {string.Join(", ", Known.Except(ConformanceTools.Names))})";
                return null;
            }

            names.Add(name);
        }

        error = null;
        return names;
    }
}
