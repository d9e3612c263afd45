using System.Globalization;
using System.Text;
using ExaiFast.Configuration;

namespace ExaiFast.Cli;

/// <summary><c>check-config</c>'s table: one line per setting, its value and where it came from.</summary>
internal static class ConfigurationText
{
    // Long values (URLs, lists) do not widen every line: past this, a value just pushes its own source to the right.
    private const int MaxValueColumn = 40;

    public static void Write(ConfigurationCheck check, TextWriter output)
    {
        output.WriteLine(check.IsValid
            ? "The configuration is valid."
            : $"The configuration has {check.Problems.Count.ToString(CultureInfo.InvariantCulture)} problem(s) (listed on stderr).");
        output.WriteLine(check.EnvFile is null ? ".env file: none read" : $".env file: {check.EnvFile}");
        output.WriteLine();

        var rows = check.Entries.Select(e => (Name: e.Definition.Key, Value: Printable(e.Shown), Source: SourceText(e))).ToList();
        int nameWidth = rows.Max(r => r.Name.Length);
        int valueWidth = Math.Min(MaxValueColumn, rows.Max(r => r.Value.Length));
        output.WriteLine($"{"SETTING".PadRight(nameWidth)}  {"VALUE".PadRight(valueWidth)}  SOURCE");
        foreach (var (name, value, source) in rows)
        {
            output.WriteLine($"{name.PadRight(nameWidth)}  {value.PadRight(valueWidth)}  {source}");
        }
    }

    /// <summary>The source as the table and the JSON's <c>source</c> name it.</summary>
    public static string SourceName(SettingSource source) => source switch
    {
        SettingSource.EnvFile => "env-file",
        SettingSource.Environment => "environment",
        SettingSource.Flag => "flag",
        _ => "default",
    };

    private static string SourceText(EffectiveSetting entry) =>
        entry.Origin is null ? SourceName(entry.Source) : $"{SourceName(entry.Source)} {entry.Origin}";

    // One line per setting, whatever a value holds: control characters are shown escaped, an empty value as "".
    private static string Printable(string value)
    {
        if (value.Length == 0)
        {
            return "\"\"";
        }

        if (!value.Any(char.IsControl))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        }

        return sb.ToString();
    }
}
