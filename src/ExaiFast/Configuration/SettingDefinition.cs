using System.Globalization;

namespace ExaiFast.Configuration;

/// <summary>One setting: its environment name, its flag, its help text and how it is parsed and range-checked.</summary>
/// <param name="Key">The environment variable (the original EX-AI name where one exists).</param>
/// <param name="Flag">The command-line flag, or null if it has none.</param>
/// <param name="Help">One line for <c>--help</c> and the docs.</param>
/// <param name="Default">The default, as text.</param>
/// <param name="Apply">Parses the text into the settings; returns null, or the allowed range/format when the text is bad.</param>
internal sealed record SettingDefinition(string Key, string? Flag, string Help, string Default, Func<ExaiFastSettings, string, (ExaiFastSettings? Result, string? Allowed)> Apply)
{
    /// <summary>A flag without a value (present = "true").</summary>
    public bool IsSwitch { get; init; }

    /// <summary>Values of secrets are never echoed.</summary>
    /// <remarks>
    /// Decided by name so that a secret added later (an API key) is masked without anyone remembering to say so. A switch
    /// holds true/false, never a secret: <c>EXAI_WS_ALLOW_REMOTE_WITHOUT_TOKEN=maybe</c> used to be shown as '***'.
    /// </remarks>
    public bool IsSecret => !IsSwitch && (HoldsSecret || Key.Contains("TOKEN", StringComparison.Ordinal) || Key.Contains("KEY", StringComparison.Ordinal)
        || Key.Contains("SECRET", StringComparison.Ordinal) || Key.Contains("PASSWORD", StringComparison.Ordinal));

    /// <summary>A value that may carry a secret although its name does not say so (<c>REDIS_URL</c>'s password).</summary>
    public bool HoldsSecret { get; init; }

    /// <summary>The values allowed, in the words an error uses ("an integer from 0 to 65535"); also the reference's range column.</summary>
    public string Allowed { get; init; } = "text";

    /// <summary>
    /// For a secret that is more than a secret (<c>REDIS_URL</c>): what of its value may be shown, its credentials masked.
    /// Null shows nothing of a secret but its length.
    /// </summary>
    public Func<string, string>? Redact { get; init; }

    /// <summary>For a setting whose default is computed from others: the value in force when it is not given.</summary>
    public Func<ExaiFastSettings, string>? Derived { get; init; }

    /// <summary>How <paramref name="value"/> may be shown: as it is, or, for a secret, <c>set (N chars)</c> and never a character of it.</summary>
    public string Shown(string value)
    {
        if (!IsSecret)
        {
            return value;
        }

        if (value.Length == 0)
        {
            return "not set";
        }

        return Redact is null ? Masked(value) : Redact(value);
    }

    /// <summary>The one form in which a secret's value is shown: its length.</summary>
    public static string Masked(string value) => $"set ({value.Length.ToString(CultureInfo.InvariantCulture)} chars)";

    /// <summary>An integer setting in [min, max].</summary>
    public static SettingDefinition Int(string key, string? flag, string help, long def, long min, long max, Func<ExaiFastSettings, long, ExaiFastSettings> set)
    {
        string allowed = $"an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
        return new(key, flag, help, def.ToString(CultureInfo.InvariantCulture), (s, text) =>
            long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max
                ? (set(s, v), null)
                : (null, allowed)) { Allowed = allowed };
    }

    /// <summary>A duration in seconds (fractions allowed) in [min, max].</summary>
    public static SettingDefinition Seconds(string key, string? flag, string help, double def, double min, double max, Func<ExaiFastSettings, TimeSpan, ExaiFastSettings> set)
    {
        string allowed = $"a number of seconds from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
        return new(key, flag, help, def.ToString(CultureInfo.InvariantCulture), (s, text) =>
            double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v >= min && v <= max
                ? (set(s, TimeSpan.FromSeconds(v)), null)
                : (null, allowed)) { Allowed = allowed };
    }

    /// <summary>One of a fixed set of words (case-insensitive).</summary>
    public static SettingDefinition Choice(string key, string? flag, string help, string def, string[] choices, Func<ExaiFastSettings, string, ExaiFastSettings> set)
    {
        string allowed = "one of " + string.Join(", ", choices);
        return new(key, flag, help, def, (s, text) =>
        {
            string t = text.Trim().ToLowerInvariant();
            return Array.IndexOf(choices, t) >= 0 ? (set(s, t), null) : (null, allowed);
        }) { Allowed = allowed };
    }

    /// <summary>A true/false setting whose flag is a switch.</summary>
    public static SettingDefinition Switch(string key, string flag, string help, Func<ExaiFastSettings, bool, ExaiFastSettings> set) =>
        Choice(key, flag, help, "false", ["true", "false"], (s, v) => set(s, v == "true")) with { IsSwitch = true };

    /// <summary>Free text in the format <paramref name="allowed"/> says, which <paramref name="isValid"/> checks.</summary>
    public static SettingDefinition Text(string key, string? flag, string help, string def, string allowed, Func<string, bool> isValid, Func<ExaiFastSettings, string, ExaiFastSettings> set) =>
        new(key, flag, help, def, (s, text) => isValid(text) ? (set(s, text.Trim()), null) : (null, allowed)) { Allowed = allowed };

    /// <summary>Free text whose check says what is wrong with a particular value (<paramref name="problem"/>: null when
    /// valid, else what the value is not, more precisely than <paramref name="allowed"/>, which the reference shows).</summary>
    public static SettingDefinition Text(string key, string? flag, string help, string def, string allowed, Func<string, string?> problem, Func<ExaiFastSettings, string, ExaiFastSettings> set) =>
        new(key, flag, help, def, (s, text) => problem(text) is { } wrong ? (null, wrong) : (set(s, text.Trim()), null)) { Allowed = allowed };
}
