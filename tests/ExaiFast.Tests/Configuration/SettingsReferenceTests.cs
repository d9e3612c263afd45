using ExaiFast.Configuration;
using ExaiFast.Tests.Cli;

namespace ExaiFast.Tests.Configuration;

/// <summary>docs/configuration.md is what the catalogue generates, so the reference cannot drift from what the daemon reads.</summary>
public class SettingsReferenceTests
{
    private static string DocPath => Path.Combine(RepoPaths.Root, "docs", "configuration.md");

    [Fact]
    public void TheDocument_IsWhatTheCatalogueGenerates()
    {
        string generated = SettingsReference.Markdown();
        string written = File.Exists(DocPath) ? File.ReadAllText(DocPath).ReplaceLineEndings("\n") : "(missing)";
        Assert.True(written == generated,
            $"docs/configuration.md differs from the settings catalogue; regenerate it from the repository root with:\n  {SettingsReference.RegenerateCommand}");
    }

    [Fact]
    public async Task TheReferenceCommand_PrintsExactlyThat()
    {
        var run = await CheckConfigRun.StartAsync(new Dictionary<string, string>(), "check-config", "--reference");
        Assert.Equal(0, run.Code);
        Assert.Equal(SettingsReference.Markdown(), run.Stdout.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void EverySetting_HasARow_WithItsFlagDefaultAndRange()
    {
        string doc = SettingsReference.Markdown();
        foreach (var d in SettingsCatalog.All)
        {
            var row = doc.Split('\n').Single(l => l.StartsWith($"| `{d.Key}` |", StringComparison.Ordinal));
            Assert.Contains(d.Flag ?? (d.IsSecret ? "(env/.env only)" : "–"), row, StringComparison.Ordinal);
            Assert.Contains(d.Default.Length == 0 ? "(none)" : $"`{d.Default}`", row, StringComparison.Ordinal);
            Assert.Contains(d.Allowed, row, StringComparison.Ordinal);
            Assert.Equal(7, row.Replace("\\|", "", StringComparison.Ordinal).Split('|').Length); // five cells: a '|' in a help text is escaped
        }
    }
}
