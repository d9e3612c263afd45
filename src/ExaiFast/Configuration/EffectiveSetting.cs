namespace ExaiFast.Configuration;

/// <summary>One setting as <c>check-config</c> shows it: its value (a secret masked) and where the value came from.</summary>
/// <param name="Definition">The catalogue's entry.</param>
/// <param name="Shown">The value as it may be shown: never a character of a secret (<see cref="SettingDefinition.Shown"/>).</param>
/// <param name="Source">Where it came from.</param>
/// <param name="Origin">The <c>.env</c> path or the flag, for those sources; else null.</param>
internal sealed record EffectiveSetting(SettingDefinition Definition, string Shown, SettingSource Source, string? Origin);
