namespace ExaiFast.Configuration;

/// <summary>
/// The outcome of loading the settings: what is in force, where each value came from, and every problem found. One
/// validation for <c>serve</c>, <c>stdio</c> and <c>check-config</c>, so that they refuse the same values with the same lines.
/// </summary>
/// <param name="Settings">The settings; when there are problems, the bad values are left at their defaults.</param>
/// <param name="Entries">Every catalogued setting, in catalogue order.</param>
/// <param name="Problems">One line per problem, naming the setting and what is wrong; empty when valid.</param>
/// <param name="EnvFile">The <c>.env</c> file read (or that failed to be read), or null.</param>
internal sealed record ConfigurationCheck(ExaiFastSettings Settings, IReadOnlyList<EffectiveSetting> Entries, IReadOnlyList<string> Problems, string? EnvFile)
{
    /// <summary>No problem found.</summary>
    public bool IsValid => Problems.Count == 0;
}
