namespace ExaiFast.Configuration;

/// <summary>A raw setting and where it came from.</summary>
/// <param name="Value">The text as given.</param>
/// <param name="Source">The kind of source that supplied it last.</param>
/// <param name="Origin">That source as error messages name it: the <c>.env</c> file's path, "environment", or the flag ("--port").</param>
internal readonly record struct SettingValue(string Value, SettingSource Source, string Origin);
