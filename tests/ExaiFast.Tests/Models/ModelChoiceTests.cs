using System.Text.Json.Nodes;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Models.OpenAICompatible;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.Models;

/// <summary>
/// Which models a daemon serves, through its real composition root and fake model servers: a model the models file adds
/// answers by its alias with its limits, a built-in model's limits changed by the file reach its requests, allow-lists
/// refuse the models they hide (naming the list) while auto and its fallbacks stay inside them, and a model kept from
/// auto is never picked by it but answers when named.
/// </summary>
public class ModelChoiceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("exaifast-choice-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string ModelsFile(string json)
    {
        string path = Path.Combine(_dir, "models.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string[] ModelsAsked(FakeOpenAIServer server) => [.. server.Requests.Select(r => (string)r.Body["model"]!).Distinct()];

    [Fact]
    public async Task AModelTheFileAdds_AnswersByItsAlias_WithItsAnswerLimit()
    {
        string file = ModelsFile("""{ "openai": [ { "name": "big-answer", "aliases": ["big"], "context_window": 100000, "max_output_tokens": 321 } ] }""");
        await using var rig = await ProviderRig.StartAsync(new() { ["EXAIFAST_MODELS_FILE"] = file }, f => f.Behaviors["big-answer"] = "answer");

        var (result, _, _) = await rig.ChatAsync("big");
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(FakeOpenAIServer.Answer, (string?)result["text"]);
        Assert.Equal("big-answer", (string?)result["metrics"]!["model"]);
        var (_, body) = Assert.Single(rig.Fake.Requests);
        Assert.Equal("big-answer", (string?)body["model"]);
        Assert.Equal(321, (int?)body["max_tokens"]);
    }

    [Fact]
    public async Task ABuiltInModelsLimit_ChangedByTheFile_ReachesItsRequests()
    {
        string file = ModelsFile("""{ "kimi": [ { "name": "kimi-k2-0905-preview", "max_output_tokens": 1234 } ] }""");
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer", new() { ["EXAIFAST_MODELS_FILE"] = file });

        var result = await rig.ChatAsync(new JsonObject { ["model"] = "kimi-k2" });
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(1234, (int?)Assert.Single(rig.Kimi.Requests).Body["max_tokens"]);

        // Another model of the provider keeps its built-in limit.
        Assert.True((bool)(await rig.ChatAsync(new JsonObject { ["model"] = "kimi-turbo" }, "c2"))["ok"]!);
        Assert.Equal(8_192, (int?)rig.Kimi.Requests.Last().Body["max_tokens"]);
    }

    [Fact]
    public async Task AllowLists_RefuseWhatTheyHide_NamingTheList_AndAutoWithItsFallbacksStaysInside()
    {
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "status-503", glmBehavior: "answer", new()
        {
            ["KIMI_ALLOWED_MODELS"] = "kimi-k2", ["GLM_ALLOWED_MODELS"] = "glm-4.6,glm-4.5v", ["EXAIFAST_PROVIDER_RETRIES"] = "0",
        });

        var hidden = await rig.ChatAsync(new JsonObject { ["model"] = "moonshot-v1-8k" });
        Assert.Equal("INVALID_ARGUMENTS", (string?)hidden["error"]!["code"]);
        Assert.Equal("'model': model 'moonshot-v1-8k' is not allowed on this daemon: KIMI_ALLOWED_MODELS allows kimi-k2-0905-preview",
            (string?)hidden["error"]!["message"]);
        var alias = await rig.ChatAsync(new JsonObject { ["model"] = "glm-flash" }, "c2"); // an alias of a hidden model
        Assert.Equal("'model': model 'glm-flash' is not allowed on this daemon: GLM_ALLOWED_MODELS allows glm-4.6, glm-4.5v", (string?)alias["error"]!["message"]);
        Assert.Equal(0, rig.Kimi.RequestCount + rig.Glm.RequestCount);

        Assert.True((bool)(await rig.ChatAsync(new JsonObject { ["model"] = "glm-4.5v" }, "c3"))["ok"]!);

        // Auto wants a fast model; the lists leave none, so it takes kimi's first allowed one, which fails, and falls back
        // to glm's first allowed one: never to the fast models (kimi-k2-turbo-preview, glm-4.5-flash) it would pick unlisted.
        var auto = await rig.ChatAsync(new JsonObject(), "c4");
        Assert.True((bool)auto["ok"]!, auto.ToJsonString());
        Assert.Equal("glm-4.6", (string?)auto["metrics"]!["model"]);
        Assert.Equal(["kimi-k2-0905-preview"], ModelsAsked(rig.Kimi));
        Assert.Equal(["glm-4.5v", "glm-4.6"], ModelsAsked(rig.Glm));
    }

    [Fact]
    public async Task AModelKeptFromAuto_IsNeverPickedByIt_ButAnswersWhenNamed()
    {
        string file = ModelsFile("""{ "kimi": [ { "name": "kimi-k2-turbo-preview", "auto": false } ] }""");
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "answer", glmBehavior: "answer", new() { ["EXAIFAST_MODELS_FILE"] = file });

        var auto = await rig.ChatAsync(new JsonObject());
        Assert.True((bool)auto["ok"]!, auto.ToJsonString());
        Assert.Equal("moonshot-v1-8k", (string?)auto["metrics"]!["model"]); // kimi's next fast model
        Assert.StartsWith("auto: chat is a simple tool or an early workflow step, so a fast model → moonshot-v1-8k", (string?)auto["metrics"]!["route"], StringComparison.Ordinal);

        var named = await rig.ChatAsync(new JsonObject { ["model"] = "kimi-turbo" }, "c2");
        Assert.Equal("kimi-k2-turbo-preview", (string?)named["metrics"]!["model"]);
        Assert.Equal(["moonshot-v1-8k", "kimi-k2-turbo-preview"], ModelsAsked(rig.Kimi));
    }

    [Fact]
    public async Task WhenEveryFastModelIsKeptFromAuto_AutoTakesTheFirstItMayPick_AndFallsBackOnlyToOnesItMayPick()
    {
        // Kept from auto: kimi's default and every fast model of both. Auto then takes the first model it may pick
        // (kimi-k2-0711-preview), which fails; the fallback is glm's first it may pick (glm-4.6), not its fast default.
        string file = ModelsFile("""
            { "kimi": [ { "name": "kimi-k2-0905-preview", "auto": false }, { "name": "kimi-k2-turbo-preview", "auto": false }, { "name": "moonshot-v1-8k", "auto": false } ],
              "glm": [ { "name": "glm-4.5-flash", "auto": false } ] }
            """);
        await using var rig = await TwoProviders.StartAsync(kimiBehavior: "status-503", glmBehavior: "answer",
            new() { ["EXAIFAST_MODELS_FILE"] = file, ["EXAIFAST_PROVIDER_RETRIES"] = "0" });

        var auto = await rig.ChatAsync(new JsonObject());
        Assert.True((bool)auto["ok"]!, auto.ToJsonString());
        Assert.Equal(["kimi-k2-0711-preview"], ModelsAsked(rig.Kimi));
        Assert.Equal(["glm-4.6"], ModelsAsked(rig.Glm));
        Assert.StartsWith("auto: chat is a simple tool or an early workflow step, so a fast model, but no configured model has that; kimi's kimi-k2-0711-preview",
            (string?)auto["metrics"]!["route"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARegistryWhoseEveryModelIsKeptFromAuto_RefusesAuto_AndStillRoutesANamedModel()
    {
        // The configuration refuses this with DEFAULT_MODEL=auto; the registry still never picks such a model itself.
        var options = new OpenAICompatibleOptions
        {
            Name = "openai", BaseUrl = new Uri("http://127.0.0.1:9/v1"), KeySetting = "OPENAI_COMPATIBLE_API_KEY",
            Models = [new ModelSpec("only-named", 0, ModelCapabilities.Fast) { Auto = false }],
        };
        var services = new ServiceCollection();
        services.AddProviderHttpClient(options);
        await using var sp = services.BuildServiceProvider();
        var registry = new ProviderRegistry([new OpenAICompatibleProvider(options, sp.GetRequiredService<IHttpClientFactory>()), new LocalModelProvider(TimeSpan.Zero)]);

        Assert.False(registry.TryRoute(new RouteRequest { Tool = "chat" }, out _, out string? error));
        Assert.Equal("auto has no model to choose: every configured model is kept from auto (\"auto\": false in EXAIFAST_MODELS_FILE); name a model (see listmodels)", error);
        Assert.True(registry.TryRoute(new RouteRequest { Tool = "chat", Model = "only-named" }, out var named, out _));
        Assert.Equal("only-named", named!.Choice.Model.Name);
    }
}
