using System.CommandLine;
using ExaiFast.Configuration;

namespace ExaiFast.Cli;

/// <summary>
/// <c>exaifast check-config</c>: the configuration <c>serve</c> would run with — every setting, its value (secrets
/// masked) and where it came from — checked by the same validation <c>serve</c> runs, without binding anything.
/// </summary>
internal static class CheckConfigCommand
{
    private const string Description = """
        Print the configuration 'serve' would run with: every setting, its value and where it came from (default, .env
        file, environment, flag). Secrets (EXAI_WS_TOKEN, API keys, REDIS_URL's password) are shown only as their length.
        Exit 0 when valid; else exit 2 with one line per problem on stderr, the lines 'serve' would refuse to start with.
        Takes every flag 'serve' takes. --json prints the same as one JSON object; --reference prints the Markdown
        reference of every setting (docs/configuration.md) instead.
        """;

    public static Command Create(IReadOnlyDictionary<string, string> environment, TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("check-config", Description);
        var envFile = new Option<string?>("--env-file") { Description = "Read settings from this .env file (default: ./.env when present)." };
        var json = new Option<bool>("--json") { Description = "Print the configuration as one JSON object (for tooling)." };
        var reference = new Option<bool>("--reference")
        {
            Description = "Print the Markdown reference of every setting, generated from the catalogue (docs/configuration.md), and exit.",
        };
        command.Add(envFile);
        command.Add(json);
        command.Add(reference);
        var flags = SettingOptions.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(reference))
            {
                stdout.Write(SettingsReference.Markdown());
                return 0;
            }

            var check = SettingsLoader.Check(environment, flags(parse), parse.GetValue(envFile));
            if (parse.GetValue(json))
            {
                ConfigurationJson.Write(check, stdout);
            }
            else
            {
                ConfigurationText.Write(check, stdout);
            }

            return check.IsValid ? 0 : ExaiFastCli.Refuse(stderr, check.Problems);
        });
        return command;
    }
}
