using ExaiFast.Configuration;
using ExaiFast.Models;

namespace ExaiFast.Tests.Configuration;

/// <summary>
/// EXAIFAST_MODELS_FILE as the settings loader reads it: the example in docs/ loads, an entry changes a built-in model
/// in place or adds one after them, and every kind of bad file or entry is one line naming the file, the entry and the field.
/// </summary>
public class ModelsFileTests : IDisposable
{
    private static readonly Dictionary<string, string> None = [];

    private readonly string _dir = Directory.CreateTempSubdirectory("exaifast-models-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, $"models-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static Dictionary<string, string> Env(string path, Dictionary<string, string>? more = null)
    {
        var env = new Dictionary<string, string>
        {
            ["EXAIFAST_MODELS_FILE"] = path, ["KIMI_API_KEY"] = "k", ["GLM_API_KEY"] = "g",
            ["OPENAI_COMPATIBLE_BASE_URL"] = "http://127.0.0.1:9/v1", ["OPENAI_COMPATIBLE_MODELS"] = "llama3.2",
        };
        foreach (var (key, value) in more ?? [])
        {
            env[key] = value;
        }

        return env;
    }

    private static ConfigurationCheck Check(Dictionary<string, string> env) => SettingsLoader.Check(env, None, HermeticStart.EmptyEnvFile);

    private static IReadOnlyList<ModelSpec> ModelsOf(ExaiFastSettings settings, string provider) =>
        settings.Providers.Configured().Single(p => p.Name == provider).Models;

    [Fact]
    public void TheExampleFile_Loads_AndEachOfItsModelsIsServed()
    {
        var check = Check(Env(Path.Combine(RepoPaths.Root, "docs", "models.example.json")));
        Assert.True(check.IsValid, string.Join("\n", check.Problems));

        var kimi = ModelsOf(check.Settings, "kimi");
        Assert.Equal(16_384, kimi[0].MaxOutputTokens);
        var thinking = kimi.Single(m => m.Name == "kimi-k2-thinking");
        Assert.Equal(["k2-thinking"], thinking.Aliases);
        Assert.Equal(262_144, thinking.ContextWindow);
        Assert.Equal(ModelCapabilities.Strong | ModelCapabilities.Thinking, thinking.Capabilities);
        Assert.False(thinking.Auto);
        Assert.Equal(["glm", "glm-strong"], ModelsOf(check.Settings, "glm").Single(m => m.Name == "glm-4.6").Aliases);
        var openai = ModelsOf(check.Settings, "openai");
        Assert.Equal(["llama3.2", "llava"], openai.Select(m => m.Name).ToArray());
        Assert.Equal(ModelCapabilities.Vision, openai[1].Capabilities);
    }

    [Fact]
    public void AnEntry_ChangesOnlyTheFieldsItGives_InPlace_AndANewModelComesAfterTheBuiltInOnes()
    {
        string path = Write("""
            { "kimi": [
                { "name": "moonshot-v1-8k", "max_output_tokens": 2000, "auto": false },
                { "name": "kimi-new", "aliases": ["kn"], "context_window": 100000, "capabilities": ["fast", "websearch"] } ] }
            """);
        var settings = SettingsLoader.Load(Env(path), None, HermeticStart.EmptyEnvFile);
        var kimi = ModelsOf(settings, "kimi");

        Assert.Equal([.. KnownModels.Kimi.Select(m => m.Name), "kimi-new"], kimi.Select(m => m.Name).ToArray());
        var changed = kimi.Single(m => m.Name == "moonshot-v1-8k");
        Assert.Equal(2000, changed.MaxOutputTokens);
        Assert.Equal(8_192, changed.ContextWindow);                      // not given: the built-in value
        Assert.Equal(ModelCapabilities.Fast, changed.Capabilities);
        Assert.False(changed.Auto);
        Assert.True(changed.FromModelsFile);
        Assert.False(kimi[0].FromModelsFile);
        var added = kimi[^1];
        Assert.Equal(100_000, added.ContextWindow);
        Assert.Equal(0, added.MaxOutputTokens);                          // unknown: the server's default applies
        Assert.Equal(ModelCapabilities.Fast | ModelCapabilities.WebSearch, added.Capabilities);
        Assert.True(added.Auto);
    }

    [Fact]
    public void AnOpenAIServer_MayTakeItsModelsFromTheFileAlone()
    {
        string path = Write("""{ "openai": [ { "name": "qwen2.5:7b", "context_window": 32768 } ] }""");
        var env = Env(path);
        env.Remove("OPENAI_COMPATIBLE_MODELS");
        Assert.Equal(["qwen2.5:7b"], ModelsOf(SettingsLoader.Load(env, None, HermeticStart.EmptyEnvFile), "openai").Select(m => m.Name).ToArray());

        string empty = Write("""{ "kimi": [] }""");
        env["EXAIFAST_MODELS_FILE"] = empty;
        var check = Check(env);
        Assert.Equal(["OPENAI_COMPATIBLE_BASE_URL is set but OPENAI_COMPATIBLE_MODELS names no model (e.g. OPENAI_COMPATIBLE_MODELS=llama3.2), nor does EXAIFAST_MODELS_FILE"], check.Problems);
    }

    [Theory]
    [InlineData("""{ "kimi": [ { "name": "x" """, " is not JSON: ")]
    [InlineData("""[ { "name": "x" } ]""", ": the top level must be an object of providers (kimi, glm, openai), each an array of models")]
    [InlineData("""{ "gpt": [] }""", ": \"gpt\" is not a provider; the providers are kimi, glm, openai")]
    [InlineData("""{ "kimi": [], "kimi": [] }""", ": kimi appears twice; give its models in one array")]
    [InlineData("""{ "kimi": { "name": "x" } }""", ": kimi must be an array of models")]
    [InlineData("""{ "glm": [ "glm-5" ] }""", ": glm[0] must be an object with at least a name")]
    [InlineData("""{ "kimi": [ { "name": "ok" }, { "context_window": 8192 } ] }""", ": kimi[1]: name must be a non-empty string (the name the provider's API takes)")]
    [InlineData("""{ "kimi": [ { "name": " " } ] }""", ": kimi[0]: name must be a non-empty string")]
    [InlineData("""{ "kimi": [ { "name": "a" }, { "name": "b" }, { "name": "foo", "context_window": 0 } ] }""", ": kimi[2] \"foo\": context_window must be a positive integer (tokens)")]
    [InlineData("""{ "kimi": [ { "name": "foo", "context_window": "128k" } ] }""", ": kimi[0] \"foo\": context_window must be a positive integer")]
    [InlineData("""{ "kimi": [ { "name": "foo", "context_window": 1.5 } ] }""", ": kimi[0] \"foo\": context_window must be a positive integer")]
    [InlineData("""{ "kimi": [ { "name": "foo", "context_window": 4294967296 } ] }""", ": kimi[0] \"foo\": context_window must be a positive integer")]
    [InlineData("""{ "glm": [ { "name": "foo", "max_output_tokens": -5 } ] }""", ": glm[0] \"foo\": max_output_tokens must be a positive integer (tokens)")]
    [InlineData("""{ "glm": [ { "name": "foo", "context_window": 4096, "max_output_tokens": 8192 } ] }""", ": glm[0] \"foo\": max_output_tokens (8192) is above context_window (4096); an answer must fit in the window")]
    [InlineData("""{ "kimi": [ { "name": "moonshot-v1-8k", "max_output_tokens": 9000 } ] }""", ": kimi[0] \"moonshot-v1-8k\": max_output_tokens (9000) is above context_window (8192)")]
    [InlineData("""{ "glm": [ { "name": "foo", "capabilities": ["vision", "telepathy"] } ] }""", ": glm[0] \"foo\": capabilities: \"telepathy\" is not one of fast, strong, thinking, vision, websearch")]
    [InlineData("""{ "glm": [ { "name": "foo", "capabilities": "vision" } ] }""", ": glm[0] \"foo\": capabilities must be an array of words from fast, strong, thinking, vision, websearch")]
    [InlineData("""{ "glm": [ { "name": "foo", "auto": "no" } ] }""", ": glm[0] \"foo\": auto must be true or false (whether auto may pick the model)")]
    [InlineData("""{ "glm": [ { "name": "foo", "aliases": ["f", ""] } ] }""", ": glm[0] \"foo\": aliases must be an array of non-empty strings")]
    [InlineData("""{ "glm": [ { "name": "foo", "contextwindow": 5 } ] }""", ": glm[0] \"foo\": unknown field \"contextwindow\"; the fields are name, aliases, context_window, max_output_tokens, capabilities, auto")]
    [InlineData("""{ "glm": [ { "name": "foo", "auto": true, "auto": false } ] }""", ": glm[0] \"foo\": auto is given twice")]
    [InlineData("""{ "kimi": [ { "name": "foo" }, { "name": "FOO" } ] }""", ": kimi[1] \"FOO\": the name is already kimi[0]'s; give each model once")]
    [InlineData("""{ "kimi": [ { "name": "foo", "aliases": ["kimi-k2"] } ] }""", ": kimi[0] \"foo\": alias \"kimi-k2\" already names kimi/kimi-k2-0905-preview; a name or alias selects one model")]
    [InlineData("""{ "kimi": [ { "name": "a", "aliases": ["same"] } ], "openai": [ { "name": "b", "aliases": ["same"] } ] }""", ": openai[0] \"b\": alias \"same\" already names kimi/a")]
    [InlineData("""{ "openai": [ { "name": "b", "aliases": ["glm-4.5"] } ] }""", ": openai[0] \"b\": alias \"glm-4.5\" already names glm/glm-4.5")]
    [InlineData("""{ "kimi": [ { "name": "glm-flash" } ] }""", ": kimi[0] \"glm-flash\": name \"glm-flash\" already names glm/glm-4.5-flash")]
    [InlineData("""{ "kimi": [ { "name": "foo", "aliases": ["f", "F"] } ] }""", ": kimi[0] \"foo\": alias \"F\" is given twice")]
    [InlineData("""{ "kimi": [ { "name": "foo", "aliases": ["foo"] } ] }""", ": kimi[0] \"foo\": alias \"foo\" is the model's own name")]
    [InlineData("""{ "kimi": [ { "name": "foo", "aliases": ["auto"] } ] }""", ": kimi[0] \"foo\": alias \"auto\" is taken: auto and the provider names (kimi, glm, openai, local) cannot name a model")]
    [InlineData("""{ "openai": [ { "name": "glm" } ] }""", ": openai[0] \"glm\": name \"glm\" is taken")]
    public void ABadEntry_IsOneLine_NamingTheFileTheEntryAndTheField(string json, string problem)
    {
        string path = Write(json);
        var check = Check(Env(path));
        Assert.StartsWith($"models file {path}{problem}", Assert.Single(check.Problems), StringComparison.Ordinal);
        Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(Env(path), None, HermeticStart.EmptyEnvFile));
    }

    [Fact]
    public void EveryBadEntry_IsReported_AndTheGoodOnesAreChecked()
    {
        string path = Write("""
            { "kimi": [ { "name": "good", "aliases": ["g1"] }, { "name": "bad", "context_window": -1, "auto": 1 } ],
              "glm": [ { "aliases": [] }, { "name": "dup", "aliases": ["g1"] } ],
              "mistral": [] }
            """);
        var check = Check(Env(path));
        Assert.Equal(
            [
                $"models file {path}: kimi[1] \"bad\": context_window must be a positive integer (tokens)",
                $"models file {path}: kimi[1] \"bad\": auto must be true or false (whether auto may pick the model)",
                $"models file {path}: glm[0]: name must be a non-empty string (the name the provider's API takes)",
                $"models file {path}: \"mistral\" is not a provider; the providers are kimi, glm, openai",
                $"models file {path}: glm[1] \"dup\": alias \"g1\" already names kimi/good; a name or alias selects one model",
            ],
            check.Problems);
    }

    [Fact]
    public void AFileThatCannotBeRead_IsOneLine_NamingIt()
    {
        string missing = Path.Combine(_dir, "nope.json");
        Assert.Equal([$"models file {missing} does not exist (EXAIFAST_MODELS_FILE)"], Check(Env(missing)).Problems);
        Assert.Equal([$"models file {_dir} is a directory, not a file (EXAIFAST_MODELS_FILE)"], Check(Env(_dir)).Problems);

        // Exists, and reading it fails (EIO at offset 0, which is never mapped): unreadable whoever runs the test, root included.
        string problem = Assert.Single(Check(Env("/proc/self/mem")).Problems);
        Assert.StartsWith("models file /proc/self/mem cannot be read: ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CommentsAndTrailingCommas_AreAllowed()
    {
        string path = Write("""
            // models for this host
            { "kimi": [ { "name": "kimi-latest", /* longer answers */ "max_output_tokens": 4000, }, ], }
            """);
        Assert.Equal(4000, ModelsOf(SettingsLoader.Load(Env(path), None, HermeticStart.EmptyEnvFile), "kimi").Single(m => m.Name == "kimi-latest").MaxOutputTokens);
    }
}
