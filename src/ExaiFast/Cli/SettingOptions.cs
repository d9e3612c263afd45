using System.CommandLine;
using ExaiFast.Configuration;

namespace ExaiFast.Cli;

/// <summary>The flags of <see cref="SettingsCatalog"/>, on any command that loads settings (<c>serve</c>, <c>stdio</c>).</summary>
internal static class SettingOptions
{
    /// <summary>Adds one option per catalogued flag; returns what reads the given ones back, keyed by setting.</summary>
    public static Func<ParseResult, Dictionary<string, string>> AddTo(Command command)
    {
        var flagOptions = new List<(SettingDefinition Definition, Option<string?> Option)>();
        var switchOptions = new List<(SettingDefinition Definition, Option<bool> Option)>();
        foreach (var definition in SettingsCatalog.All)
        {
            if (definition.Flag is null)
            {
                continue;
            }

            if (definition.IsSwitch)
            {
                var flag = new Option<bool>(definition.Flag) { Description = $"{definition.Help} (env {definition.Key}=true)" };
                command.Add(flag);
                switchOptions.Add((definition, flag));
                continue;
            }

            string defaultText = definition.Default.Length == 0 ? string.Empty : $" [default: {definition.Default}]";
            var option = new Option<string?>(definition.Flag) { Description = $"{definition.Help} (env {definition.Key}){defaultText}", HelpName = "value" };
            command.Add(option);
            flagOptions.Add((definition, option));
        }

        return parse =>
        {
            var flags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (definition, option) in flagOptions)
            {
                if (parse.GetValue(option) is { } value)
                {
                    flags[definition.Key] = value;
                }
            }

            foreach (var (definition, option) in switchOptions)
            {
                if (parse.GetValue(option))
                {
                    flags[definition.Key] = "true";
                }
            }

            return flags;
        };
    }
}
