namespace ExaiFast.Configuration;

/// <summary>A raw setting and where it came from, for error messages ("environment", ".env", "--port").</summary>
/// <param name="Value">The text as given.</param>
/// <param name="Origin">The source that supplied it last.</param>
public readonly record struct SettingValue(string Value, string Origin);
