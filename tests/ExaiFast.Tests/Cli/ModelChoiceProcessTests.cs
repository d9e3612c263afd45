using System.Text.Json.Nodes;
using ExaiFast.Tests.Models;
using ExaiFast.Tests.Stdio;

namespace ExaiFast.Tests.Cli;

/// <summary>
/// The models file and an allow-list through the real executable: over MCP (stdio, in process) listmodels shows what
/// is served and what the list hides, an allowed model of the file answers from a real HTTP model server, a hidden one
/// is refused with the list, and auto stays inside it; a bad file or a list that leaves nothing stops <c>serve</c> with
/// exit 2, and <c>check-config</c> says which entry or list.
/// </summary>
public class ModelChoiceProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("exaifast-choice-proc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string ModelsFile(string json)
    {
        string path = Path.Combine(_dir, "models.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static JsonObject Chat(string? model)
    {
        var arguments = new JsonObject { ["prompt"] = "hello" };
        if (model is not null)
        {
            arguments["model"] = model;
        }

        return new JsonObject { ["name"] = "chat", ["arguments"] = arguments };
    }

    private static string TextOf(JsonObject response) => (string)response["result"]!["content"]![0]!["text"]!;

    [Fact]
    public async Task OverMcp_ListmodelsShowsTheFilesModelAndTheList_TheAllowedAnswer_TheHiddenIsRefused_AndAutoStaysInside()
    {
        await using var fake = FakeOpenAIServer.Start();
        fake.Behaviors["big-answer"] = "answer";
        string file = ModelsFile("""
            { "openai": [ { "name": "big-answer", "aliases": ["big"], "context_window": 65536, "max_output_tokens": 2048, "capabilities": ["strong", "vision"] },
                         { "name": "costly", "auto": false } ] }
            """);
        await using var stdio = StdioProcess.Start(new Dictionary<string, string>
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(), ["OPENAI_COMPATIBLE_MODELS"] = "stream,answer",
            ["EXAIFAST_MODELS_FILE"] = file, ["OPENAI_COMPATIBLE_ALLOWED_MODELS"] = "big, answer, costly",
            ["EXAIFAST_PROVIDER_RETRY_DELAY_SECS"] = "0.01",
        }, "--in-process");
        await stdio.InitializeAsync();

        await stdio.RequestAsync(2, "tools/call", new JsonObject { ["name"] = "listmodels", ["arguments"] = new JsonObject() });
        string models = TextOf(await stdio.ResponseAsync(2));
        Assert.Contains("- openai (available)\n  - answer\n  - big-answer, context 64K, answers up to 2K, strong, vision, aliases: big, from EXAIFAST_MODELS_FILE\n" +
            "  - costly, never picked by auto, from EXAIFAST_MODELS_FILE\n" +
            "  OPENAI_COMPATIBLE_ALLOWED_MODELS is in force; hidden by it: stream\n", models, StringComparison.Ordinal);

        await stdio.RequestAsync(3, "tools/call", Chat("big"));
        var big = await stdio.ResponseAsync(3, 60_000);
        Assert.False((bool?)big["result"]!["isError"] ?? false, big.ToJsonString());
        Assert.Equal(FakeOpenAIServer.Answer, TextOf(big));
        var (_, body) = Assert.Single(fake.Requests);
        Assert.Equal("big-answer", (string?)body["model"]);
        Assert.Equal(2048, (int?)body["max_tokens"]);

        await stdio.RequestAsync(4, "tools/call", Chat("stream"));
        var hidden = await stdio.ResponseAsync(4);
        Assert.True((bool)hidden["result"]!["isError"]!);
        Assert.Equal("INVALID_ARGUMENTS: 'model': model 'stream' is not allowed on this daemon: OPENAI_COMPATIBLE_ALLOWED_MODELS allows answer, big-answer, costly", TextOf(hidden));

        // Auto: no model served is fast, so the provider's first allowed one ("stream", its default unlisted, is hidden).
        await stdio.RequestAsync(5, "tools/call", Chat(null));
        Assert.Equal(FakeOpenAIServer.Answer, TextOf(await stdio.ResponseAsync(5, 60_000)));
        Assert.Equal(["big-answer", "answer"], fake.Requests.Select(r => (string)r.Body["model"]!).ToArray());
    }

    [Fact]
    public async Task ABadModelsFile_StopsServe_WithExit2_AndCheckConfigSaysWhichEntryAndField()
    {
        string file = ModelsFile("""{ "kimi": [ { "name": "ok" }, { "name": "k3", "context_window": "big" } ] }""");
        var env = new Dictionary<string, string> { ["KIMI_API_KEY"] = "k", ["EXAIFAST_MODELS_FILE"] = file };
        string line = $"models file {file}: kimi[1] \"k3\": context_window must be a positive integer (tokens)";

        await using (var serve = ExaiFastProcess.Start(env, "serve", "--port", "0"))
        {
            Assert.Equal(2, await serve.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal($"exaifast: {line}", serve.Stderr.Trim());
        }

        var check = await CheckConfigRun.StartAsync(env, "check-config");
        Assert.Equal(2, check.Code);
        Assert.Equal([$"exaifast: {line}"], check.ErrorLines);

        File.WriteAllText(file, "{ not json");
        check = await CheckConfigRun.StartAsync(env, "check-config");
        Assert.Equal(2, check.Code);
        Assert.StartsWith($"exaifast: models file {file} is not JSON: ", Assert.Single(check.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAllowListThatLeavesNothing_OrNamesNoModelOfItsProvider_StopsServe_WithExit2()
    {
        await using (var serve = ExaiFastProcess.Start(new Dictionary<string, string> { ["GLM_API_KEY"] = "g", ["GLM_ALLOWED_MODELS"] = " ," }, "serve", "--port", "0"))
        {
            Assert.Equal(2, await serve.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal("exaifast: invalid GLM_ALLOWED_MODELS (from environment): ' ,' is not a list of at least one model: it would leave glm none", serve.Stderr.Trim());
        }

        var check = await CheckConfigRun.StartAsync(new Dictionary<string, string> { ["GLM_API_KEY"] = "g" }, "check-config", "--glm-allowed-models", "glm-4.6,gpt-4o");
        Assert.Equal(2, check.Code);
        Assert.StartsWith("exaifast: invalid GLM_ALLOWED_MODELS: 'gpt-4o' is not a glm model or alias; glm's models: glm-4.5-flash, ", Assert.Single(check.ErrorLines), StringComparison.Ordinal);
    }
}
