using System.Text;

namespace ExaiFast.Configuration;

/// <summary>
/// The Markdown reference of every setting (<c>docs/configuration.md</c>), generated from <see cref="SettingsCatalog"/>
/// so that it cannot drift from what the daemon reads: a test compares the file with this.
/// </summary>
internal static class SettingsReference
{
    /// <summary>How to regenerate the file, for its header and for the test that fails when it is stale.</summary>
    public const string RegenerateCommand = "dotnet run --project src/ExaiFast -- check-config --reference > docs/configuration.md";

    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("# Configuration reference\n\n");
        sb.Append("<!-- Generated from src/ExaiFast/Configuration/SettingsCatalog.cs; do not edit. Regenerate with:\n");
        sb.Append("     ").Append(RegenerateCommand).Append(" -->\n\n");
        sb.Append("Every setting of `exaifast serve` (and `stdio`, `check-config`), in the order `--help` lists them. Each is read, lowest\n");
        sb.Append("precedence first, from its default, the `.env` file (`./.env` or `--env-file PATH`), the environment variable, and the\n");
        sb.Append("flag. An empty environment variable counts as unset. Settings without a flag hold secrets or keep the original's name\n");
        sb.Append("only; secrets are never flags (a flag shows in `ps`). `exaifast check-config` shows the value in force and its source.\n\n");
        sb.Append("| variable | flag | default | allowed | meaning |\n");
        sb.Append("|---|---|---|---|---|\n");
        foreach (var d in SettingsCatalog.All)
        {
            string flag = d.Flag is { } f ? $"`{f}`" : d.IsSecret ? "(env/.env only)" : "–";
            string def = d.Default.Length == 0 ? "(none)" : $"`{d.Default}`";
            sb.Append("| `").Append(d.Key).Append("` | ").Append(flag).Append(" | ").Append(def).Append(" | ")
                .Append(Cell(d.Allowed)).Append(" | ").Append(Cell(d.Help)).Append(" |\n");
        }

        return sb.ToString();
    }

    // A table cell: a '|' would end it, and '*' or '_' inside words would start emphasis.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal);
}
