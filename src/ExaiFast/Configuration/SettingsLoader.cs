namespace ExaiFast.Configuration;

/// <summary>
/// Binds <see cref="ExaiFastSettings"/> from, lowest to highest, defaults, a <c>.env</c> file, the environment and
/// command-line flags, and validates every value before anything binds a socket.
/// </summary>
internal static class SettingsLoader
{
    private const string EnvironmentOrigin = "environment";

    /// <summary>Loads and validates. Throws <see cref="ConfigurationException"/> with one line per problem, each naming the setting.</summary>
    /// <param name="environment">Environment variables (only catalogued keys are read).</param>
    /// <param name="flags">Flag values given on the command line, keyed by setting key.</param>
    /// <param name="envFile">An explicit <c>.env</c> path (must exist), or null to read <c>./.env</c> when present.</param>
    public static ExaiFastSettings Load(IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string> flags, string? envFile)
    {
        var check = Check(environment, flags, envFile);
        return check.IsValid ? check.Settings : throw new ConfigurationException(check.Problems);
    }

    /// <summary>
    /// Loads and validates without stopping at the first problem: every bad value, every inconsistency between values,
    /// and where each value came from. <see cref="Load"/> is this, refusing what it finds.
    /// </summary>
    internal static ConfigurationCheck Check(IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string> flags, string? envFile)
    {
        var problems = new List<string>();
        var values = new Dictionary<string, SettingValue>(StringComparer.Ordinal);
        string? path = envFile ?? (File.Exists(".env") ? ".env" : null);
        if (path is not null && ReadEnvFile(path, envFile is not null, problems) is { } fromFile)
        {
            foreach (var (key, value) in fromFile)
            {
                values[key] = new SettingValue(value, SettingSource.EnvFile, path);
            }
        }

        foreach (var (key, value) in environment)
        {
            values[key] = new SettingValue(value, SettingSource.Environment, EnvironmentOrigin);
        }

        foreach (var definition in SettingsCatalog.All)
        {
            if (definition.Flag is not null && flags.TryGetValue(definition.Key, out string? flagValue))
            {
                values[definition.Key] = new SettingValue(flagValue, SettingSource.Flag, definition.Flag);
            }
        }

        var settings = new ExaiFastSettings();
        var given = new Dictionary<string, SettingValue>(StringComparer.Ordinal);
        var bad = new HashSet<string>(StringComparer.Ordinal);
        foreach (var definition in SettingsCatalog.All)
        {
            if (!values.TryGetValue(definition.Key, out var value))
            {
                continue;
            }

            // An empty environment variable means "unset", as in the original daemon.
            if (value.Value.Length == 0 && value.Source == SettingSource.Environment)
            {
                continue;
            }

            given[definition.Key] = value;
            var (result, allowed) = definition.Apply(settings, value.Value);
            if (result is null)
            {
                string shown = definition.IsSecret ? "***" : value.Value;
                string name = value.Source == SettingSource.Flag ? value.Origin : $"{definition.Key} (from {value.Origin})";
                problems.Add($"invalid {name}: '{shown}' is not {allowed}");
                bad.Add(definition.Key);
                continue;
            }

            settings = result;
        }

        settings = SettingRelations.Check(settings, given.Keys.ToHashSet(StringComparer.Ordinal), bad, problems);

        var entries = new List<EffectiveSetting>(SettingsCatalog.All.Count);
        foreach (var definition in SettingsCatalog.All)
        {
            entries.Add(given.TryGetValue(definition.Key, out var value)
                ? new EffectiveSetting(definition, definition.Shown(value.Value), value.Source, value.Source == SettingSource.Environment ? null : value.Origin)
                : new EffectiveSetting(definition, definition.Derived?.Invoke(settings) ?? definition.Shown(definition.Default), SettingSource.Default, null));
        }

        return new ConfigurationCheck(settings, entries, problems, path);
    }

    // The file's settings, or null (with the problem added) when it cannot be read. A file that can be read but has bad
    // lines gives its good ones, so that the rest of the configuration is still checked.
    private static Dictionary<string, string>? ReadEnvFile(string path, bool named, List<string> problems)
    {
        string what = named ? "--env-file" : ".env file";
        if (Directory.Exists(path))
        {
            problems.Add($"{what} '{path}' is a directory, not a file");
            return null;
        }

        if (!File.Exists(path))
        {
            problems.Add($"{what} '{path}' does not exist");
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{what} '{path}' cannot be read: {ex.Message}");
            return null;
        }

        return DotEnvFile.Parse(text, path, problems);
    }
}
