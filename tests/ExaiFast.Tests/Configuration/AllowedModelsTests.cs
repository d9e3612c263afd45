using ExaiFast.Configuration;

namespace ExaiFast.Tests.Configuration;

/// <summary>
/// KIMI_ALLOWED_MODELS, GLM_ALLOWED_MODELS and OPENAI_COMPATIBLE_ALLOWED_MODELS as the settings loader reads them: names
/// or aliases choose the models served, in catalogue order, the rest are kept as hidden; a list naming no model, or a
/// model its provider does not have, is a configuration error, as is a DEFAULT_MODEL the list hides.
/// </summary>
public class AllowedModelsTests : IDisposable
{
    private static readonly Dictionary<string, string> None = [];

    private readonly string _dir = Directory.CreateTempSubdirectory("exaifast-allowed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string> Env(params (string Key, string Value)[] more)
    {
        var env = new Dictionary<string, string>
        {
            ["KIMI_API_KEY"] = "k", ["GLM_API_KEY"] = "g",
            ["OPENAI_COMPATIBLE_BASE_URL"] = "http://127.0.0.1:9/v1", ["OPENAI_COMPATIBLE_MODELS"] = "llama3.2,qwen2.5",
        };
        foreach (var (key, value) in more)
        {
            env[key] = value;
        }

        return env;
    }

    private static ConfigurationCheck Check(Dictionary<string, string> env) => SettingsLoader.Check(env, None, HermeticStart.EmptyEnvFile);

    [Fact]
    public void AList_ServesTheModelsItNames_ByNameOrAlias_InCatalogueOrder_AndKeepsTheRestAsHidden()
    {
        var check = Check(Env(("KIMI_ALLOWED_MODELS", "moonshot-v1-8k, KIMI-K2"), ("OPENAI_COMPATIBLE_ALLOWED_MODELS", "qwen2.5")));
        Assert.True(check.IsValid, string.Join("\n", check.Problems));
        var providers = check.Settings.Providers.Configured();

        var kimi = providers[0];
        Assert.Equal(["kimi-k2-0905-preview", "moonshot-v1-8k"], kimi.Models.Select(m => m.Name).ToArray()); // the catalogue's order: its default first
        Assert.Equal("KIMI_ALLOWED_MODELS", kimi.AllowList!.Setting);
        Assert.Equal(9, kimi.AllowList.Hidden.Count);
        Assert.Contains(kimi.AllowList.Hidden, m => m.Name == "kimi-k2-turbo-preview");

        Assert.Null(providers[1].AllowList); // no list: the whole catalogue
        Assert.Equal(5, providers[1].Models.Count);
        Assert.Equal(["qwen2.5"], providers[2].Models.Select(m => m.Name).ToArray());
        Assert.Equal(["llama3.2"], providers[2].AllowList!.Hidden.Select(m => m.Name).ToArray());
    }

    [Fact]
    public void AList_MayNameAModelOfTheModelsFile()
    {
        string file = Path.Combine(_dir, "models.json");
        File.WriteAllText(file, """{ "glm": [ { "name": "glm-5", "aliases": ["g5"] } ] }""");
        var check = Check(Env(("EXAIFAST_MODELS_FILE", file), ("GLM_ALLOWED_MODELS", "g5,glm-4.5v")));
        Assert.True(check.IsValid, string.Join("\n", check.Problems));
        Assert.Equal(["glm-4.5v", "glm-5"], check.Settings.Providers.Configured()[1].Models.Select(m => m.Name).ToArray());
    }

    [Theory]
    [InlineData("KIMI_ALLOWED_MODELS", "kimi-k2,glm-4.6",
        "invalid KIMI_ALLOWED_MODELS: 'glm-4.6' is not a kimi model or alias; kimi's models: kimi-k2-0905-preview, kimi-k2-turbo-preview, ")]
    [InlineData("GLM_ALLOWED_MODELS", "nonesuch", "invalid GLM_ALLOWED_MODELS: 'nonesuch' is not a glm model or alias; glm's models: glm-4.5-flash, glm-4.6, ")]
    [InlineData("OPENAI_COMPATIBLE_ALLOWED_MODELS", "llama3", "invalid OPENAI_COMPATIBLE_ALLOWED_MODELS: 'llama3' is not an openai model or alias; openai's models: llama3.2, qwen2.5")]
    [InlineData("KIMI_ALLOWED_MODELS", " , ", "invalid KIMI_ALLOWED_MODELS (from environment): ' , ' is not a list of at least one model: it would leave kimi none")]
    [InlineData("GLM_ALLOWED_MODELS", ",", "invalid GLM_ALLOWED_MODELS (from environment): ',' is not a list of at least one model: it would leave glm none")]
    public void AListThatLeavesNothing_OrNamesAnUnknownModel_IsOneLine(string key, string value, string problem)
    {
        var check = Check(Env((key, value)));
        Assert.StartsWith(problem, Assert.Single(check.Problems), StringComparison.Ordinal);
        Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(Env((key, value)), None, HermeticStart.EmptyEnvFile));
    }

    [Fact]
    public void AnOpenAIList_WithNoModelsAtAll_SaysTheProviderHasNone()
    {
        var env = Env(("OPENAI_COMPATIBLE_ALLOWED_MODELS", "llama3.2"));
        env.Remove("OPENAI_COMPATIBLE_BASE_URL");
        env.Remove("OPENAI_COMPATIBLE_MODELS");
        Assert.Equal(["invalid OPENAI_COMPATIBLE_ALLOWED_MODELS: 'llama3.2' is not an openai model; openai has none (OPENAI_COMPATIBLE_MODELS and EXAIFAST_MODELS_FILE name none)"],
            Check(env).Problems);
    }

    [Fact]
    public void ADefaultModelTheListHides_IsRefused_SayingWhichListHidesIt()
    {
        var check = Check(Env(("KIMI_ALLOWED_MODELS", "kimi-k2"), ("DEFAULT_MODEL", "kimi-turbo")));
        Assert.Equal(["invalid DEFAULT_MODEL: 'kimi-turbo' is hidden by KIMI_ALLOWED_MODELS, which allows kimi-k2-0905-preview"], check.Problems);
        Assert.True(Check(Env(("KIMI_ALLOWED_MODELS", "kimi-k2"), ("DEFAULT_MODEL", "kimi-k2"))).IsValid);
    }

    [Fact]
    public void AutoWithNothingItMayPick_IsRefused()
    {
        string file = Path.Combine(_dir, "models.json");
        File.WriteAllText(file, """{ "glm": [ { "name": "glm-4.6", "auto": false } ] }""");
        var env = new Dictionary<string, string> { ["GLM_API_KEY"] = "g", ["GLM_ALLOWED_MODELS"] = "glm-4.6", ["EXAIFAST_MODELS_FILE"] = file };
        Assert.Equal(
            ["DEFAULT_MODEL=auto has no model to pick: every model served is kept from auto (\"auto\": false in EXAIFAST_MODELS_FILE); set DEFAULT_MODEL to one of them, or let auto pick one"],
            Check(env).Problems);

        env["DEFAULT_MODEL"] = "glm-4.6"; // named, it is served
        Assert.True(Check(env).IsValid);
    }
}
