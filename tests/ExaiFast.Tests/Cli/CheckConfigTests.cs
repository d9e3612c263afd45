using System.Text.Json;
using System.Text.RegularExpressions;
using ExaiFast.Configuration;

namespace ExaiFast.Tests.Cli;

/// <summary>
/// <c>exaifast check-config</c> run as the real executable: values and their sources, secrets that never show, one line per
/// problem (exit 2) for each kind of bad value, the JSON form, and <c>serve</c> refusing with the very same lines.
/// </summary>
public class CheckConfigTests
{
    // Recognisable, and long enough that any 8-character window of them is unlikely to occur by chance.
    private const string Token = "TokQ7ZP4XW9-exaiws-secret";
    private const string KimiKey = "sk-KimiK3yV4LU3-8HJ2MQ";
    private const string GlmKey = "GlmK3y.Zq81Lm0Pw7Rt";
    private const string OpenAIKey = "sk-Open-77RR93LLQZ0X";
    private const string RedisUser = "redisuserQ4";
    private const string RedisPassword = "RedisPa55-JX9q2M";

    private static readonly string[] Secrets = [Token, KimiKey, GlmKey, OpenAIKey, RedisUser, RedisPassword];

    [Fact]
    public async Task AValidConfiguration_ShowsEachValue_AndWhereItCameFrom()
    {
        using var envFile = new TempEnvFile("EXAI_WS_PORT=9123\nEXAI_WS_MAX_BYTES=1048576\n");
        var env = new Dictionary<string, string> { ["EXAI_WS_MAX_BYTES"] = "4096", ["EXAIFAST_LOG_FORMAT"] = "json" };

        var run = await CheckConfigRun.StartAsync(env, "check-config", "--env-file", envFile.Path, "--log-level", "debug", "--queue-depth", "77");

        Assert.True(run.Code == 0, run.Stderr);
        Assert.Equal(string.Empty, run.Stderr);
        Assert.StartsWith("The configuration is valid.", run.Stdout, StringComparison.Ordinal);
        AssertRow(run.Stdout, "EXAI_WS_HOST", "127.0.0.1", "default");
        AssertRow(run.Stdout, "EXAI_WS_PORT", "9123", $"env-file {envFile.Path}");
        AssertRow(run.Stdout, "EXAI_WS_MAX_BYTES", "4096", "environment");               // the environment beats the file
        AssertRow(run.Stdout, "EXAIFAST_LOG_FORMAT", "json", "environment");
        AssertRow(run.Stdout, "EXAIFAST_LOG_LEVEL", "debug", "flag --log-level");
        AssertRow(run.Stdout, "EXAI_WS_QUEUE_DEPTH", "77", "flag --queue-depth");
        AssertRow(run.Stdout, "EXAI_WS_CALL_TIMEOUT_SECS", "180 (1.5 × WORKFLOW_TOOL_TIMEOUT_SECS)", "default"); // derived, not the catalogue's text
        Assert.Equal(SettingsCatalog.All.Count, SettingsCatalog.All.Count(d => Regex.IsMatch(run.Stdout, $"^{d.Key} ", RegexOptions.Multiline)));
    }

    [Fact]
    public async Task Secrets_NeverAppear_InTheTable_TheJson_OrTheProblemLines()
    {
        using var envFile = new TempEnvFile($"KIMI_API_KEY={KimiKey}\nGLM_API_KEY=\"{GlmKey}\"\n");
        var env = new Dictionary<string, string>
        {
            ["EXAI_WS_TOKEN"] = Token,
            ["OPENAI_COMPATIBLE_API_KEY"] = OpenAIKey,
            ["REDIS_URL"] = $"redis://{RedisUser}:{RedisPassword}@127.0.0.1:6390/3",
        };

        var text = await CheckConfigRun.StartAsync(env, "check-config", "--env-file", envFile.Path);
        var json = await CheckConfigRun.StartAsync(env, "check-config", "--env-file", envFile.Path, "--json");

        Assert.True(text.Code == 0, text.Stderr);
        Assert.Equal(0, json.Code);
        AssertRow(text.Stdout, "EXAI_WS_TOKEN", $"set ({Token.Length} chars)", "environment");
        AssertRow(text.Stdout, "KIMI_API_KEY", $"set ({KimiKey.Length} chars)", $"env-file {envFile.Path}");
        AssertRow(text.Stdout, "GLM_API_KEY", $"set ({GlmKey.Length} chars)", $"env-file {envFile.Path}");
        AssertRow(text.Stdout, "OPENAI_COMPATIBLE_API_KEY", $"set ({OpenAIKey.Length} chars)", "environment");
        AssertRow(text.Stdout, "REDIS_URL", $"127.0.0.1:6390/3, user set ({RedisUser.Length} chars), password set ({RedisPassword.Length} chars)", "environment");

        // Invalid too: a REDIS_URL that does not parse but holds a password, a token with a control character, and a bad
        // port beside them, so that the problem lines are written.
        env["REDIS_URL"] = $"redis://{RedisUser}:{RedisPassword}@";
        env["EXAI_WS_TOKEN"] = Token + "\u0007";
        env["EXAI_WS_PORT"] = "not-a-port";
        var bad = await CheckConfigRun.StartAsync(env, "check-config", "--env-file", envFile.Path);
        var badJson = await CheckConfigRun.StartAsync(env, "check-config", "--env-file", envFile.Path, "--json");
        Assert.Equal(2, bad.Code);
        Assert.Equal(3, bad.ErrorLines.Length);

        foreach (var run in new[] { text, json, bad, badJson })
        {
            AssertNoWindowOfASecret(run.Stdout + run.Stderr);
        }
    }

    [Fact]
    public async Task NotANumber_Exits2_NamingTheSetting()
    {
        var run = await CheckConfigRun.StartAsync(new Dictionary<string, string> { ["EXAI_WS_PORT"] = "abc" }, "check-config");
        AssertRefused(run, "exaifast: invalid EXAI_WS_PORT (from environment): 'abc' is not an integer from 0 to 65535");
    }

    [Fact]
    public async Task OutOfRange_Exits2_NamingTheSettingAndItsRange()
    {
        var run = await CheckConfigRun.StartAsync(new Dictionary<string, string> { ["EXAI_WS_PING_INTERVAL"] = "0.001" }, "check-config", "--max-bytes", "12");
        AssertRefused(run,
            "exaifast: invalid --max-bytes: '12' is not an integer from 1024 to 1073741824",
            "exaifast: invalid EXAI_WS_PING_INTERVAL (from environment): '0.001' is not a number of seconds from 0.05 to 86400");
    }

    [Fact]
    public async Task InconsistentTimeouts_Exit2_NamingBothSettings()
    {
        var env = new Dictionary<string, string>
        {
            ["WORKFLOW_TOOL_TIMEOUT_SECS"] = "100",
            ["EXAI_WS_CALL_TIMEOUT_SECS"] = "60",
            ["EXAIFAST_PROVIDER_TOTAL_TIMEOUT_SECS"] = "45",
        };
        var run = await CheckConfigRun.StartAsync(env, "check-config");
        AssertRefused(run,
            "exaifast: invalid EXAI_WS_CALL_TIMEOUT_SECS: the call deadline (60 s) is below WORKFLOW_TOOL_TIMEOUT_SECS (100 s); a call must outlast its tool (leave EXAI_WS_CALL_TIMEOUT_SECS unset for 1.5 × the tool timeout)",
            "exaifast: invalid EXAIFAST_PROVIDER_TOTAL_TIMEOUT_SECS: 45 s is not above EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS (60 s); a whole model request, retries included, must outlast one silence in a streamed answer");
    }

    [Fact]
    public async Task UnknownDefaultModel_Exits2_NamingWhatIsServed()
    {
        var run = await CheckConfigRun.StartAsync(new Dictionary<string, string> { ["DEFAULT_MODEL"] = "gpt-9" }, "check-config");
        AssertRefused(run, "exaifast: invalid DEFAULT_MODEL: 'gpt-9' is not auto or a model of a configured provider (local, local-echo)");

        // A real model of a built-in provider, whose key is missing: the line says which key.
        var kimi = await CheckConfigRun.StartAsync(new Dictionary<string, string>(), "check-config", "--default-model", "kimi-k2");
        AssertRefused(kimi, "exaifast: invalid DEFAULT_MODEL: 'kimi-k2' is a kimi model, but KIMI_API_KEY is not set, so no kimi provider is configured");

        var served = await CheckConfigRun.StartAsync(new Dictionary<string, string> { ["KIMI_API_KEY"] = KimiKey }, "check-config", "--default-model", "kimi-k2");
        Assert.True(served.Code == 0, served.Stderr);
    }

    [Fact]
    public async Task AnUnreadableEnvFile_Exits2_NamingIt()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"exaifast-missing-{Guid.NewGuid():N}.env");
        var run = await CheckConfigRun.StartAsync(new Dictionary<string, string>(), "check-config", "--env-file", missing);
        AssertRefused(run, $"exaifast: --env-file '{missing}' does not exist");

        string directory = Directory.CreateTempSubdirectory("exaifast-envdir-").FullName;
        try
        {
            var dir = await CheckConfigRun.StartAsync(new Dictionary<string, string>(), "check-config", "--env-file", directory);
            AssertRefused(dir, $"exaifast: --env-file '{directory}' is a directory, not a file");
        }
        finally
        {
            Directory.Delete(directory);
        }

        // Lines that are not KEY=value: each is named, and the file's good lines still count.
        using var envFile = new TempEnvFile("EXAI_WS_PORT=9124\nnot a setting\nEXAI_WS_HOST=127.0.0.1\nneither is this\n");
        var lines = await CheckConfigRun.StartAsync(new Dictionary<string, string>(), "check-config", "--env-file", envFile.Path);
        AssertRefused(lines, $"exaifast: {envFile.Path}:2: expected KEY=value", $"exaifast: {envFile.Path}:4: expected KEY=value");
        AssertRow(lines.Stdout, "EXAI_WS_PORT", "9124", $"env-file {envFile.Path}");
    }

    [Fact]
    public async Task ARedisUrlThatDoesNotParse_Exits2_WithItsValueMasked()
    {
        var run = await CheckConfigRun.StartAsync(new Dictionary<string, string> { ["REDIS_URL"] = "redis://:hunter2hunter2@" }, "check-config");
        AssertRefused(run,
            "exaifast: invalid REDIS_URL (from environment): '***' is not redis://[[user]:password@]host[:port][/db], rediss://… for TLS, or a StackExchange.Redis configuration string such as host:port,password=…");
        Assert.DoesNotContain("hunter2", run.Stdout + run.Stderr, StringComparison.Ordinal);
        AssertRow(run.Stdout, "REDIS_URL", "set (24 chars)", "environment");
    }

    [Fact]
    public async Task EveryProblem_IsALine_AndServeRefusesWithTheSameLines()
    {
        var env = new Dictionary<string, string>
        {
            ["EXAI_WS_PORT"] = "abc",
            ["EXAIFAST_PROVIDER_TOTAL_TIMEOUT_SECS"] = "10",
            ["DEFAULT_MODEL"] = "gpt-9",
            ["REDIS_URL"] = "redis://",
            ["EXAI_WS_HOST"] = "0.0.0.0", // and no token
        };
        string[] args = ["--env-file", HermeticStartEmptyEnvFile, "--max-bytes", "1"];

        var check = await CheckConfigRun.StartAsync(env, ["check-config", .. args]);
        var serve = await CheckConfigRun.StartAsync(env, ["serve", .. args]);

        Assert.Equal(2, check.Code);
        Assert.Equal(2, serve.Code);
        Assert.Equal(7, check.ErrorLines.Length); // port, max-bytes, REDIS_URL, total vs headers, total vs idle, model, token
        Assert.Equal(check.ErrorLines, serve.ErrorLines);
        Assert.Equal(string.Empty, serve.Stdout);
    }

    [Fact]
    public async Task Json_ParsesAndSaysWhatTheTableSays()
    {
        using var envFile = new TempEnvFile("EXAI_WS_PORT=9125\n");
        var env = new Dictionary<string, string> { ["EXAI_WS_TOKEN"] = Token, ["EXAI_WS_MAX_BYTES"] = "4096" };
        string[] args = ["check-config", "--env-file", envFile.Path, "--log-level", "debug"];

        var table = await CheckConfigRun.StartAsync(env, args);
        var run = await CheckConfigRun.StartAsync(env, [.. args, "--json"]);

        Assert.True(run.Code == 0, run.Stderr);
        using var doc = JsonDocument.Parse(run.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.Equal(envFile.Path, root.GetProperty("env_file").GetString());
        Assert.Equal(0, root.GetProperty("problems").GetArrayLength());
        var settings = root.GetProperty("settings").EnumerateArray().ToList();
        Assert.Equal(SettingsCatalog.All.Select(d => d.Key), settings.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(SettingsCatalog.All.Select(d => d.Flag), settings.Select(s => s.GetProperty("flag").GetString()));
        foreach (var s in settings)
        {
            string name = s.GetProperty("name").GetString()!;
            string source = s.GetProperty("source").GetString()!;
            string? origin = s.GetProperty("origin").GetString();
            string value = s.GetProperty("value").GetString()!;
            AssertRow(table.Stdout, name, value.Length == 0 ? "\"\"" : value, origin is null ? source : $"{source} {origin}");
            Assert.Equal(SettingsCatalog.All.Single(d => d.Key == name).IsSecret, s.GetProperty("secret").GetBoolean());
        }

        var token = settings.Single(s => s.GetProperty("name").GetString() == "EXAI_WS_TOKEN");
        Assert.Equal($"set ({Token.Length} chars)", token.GetProperty("value").GetString());
        Assert.Equal("flag", settings.Single(s => s.GetProperty("name").GetString() == "EXAIFAST_LOG_LEVEL").GetProperty("source").GetString());

        // Invalid: the same object says so, its problems are the lines on stderr, and the exit code is still 2.
        var bad = await CheckConfigRun.StartAsync(new Dictionary<string, string> { ["EXAI_WS_PORT"] = "abc", ["DEFAULT_MODEL"] = "gpt-9" }, "check-config", "--json");
        Assert.Equal(2, bad.Code);
        using var badDoc = JsonDocument.Parse(bad.Stdout);
        Assert.False(badDoc.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(bad.ErrorLines.Select(l => l["exaifast: ".Length..]), badDoc.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
    }

    private static string HermeticStartEmptyEnvFile => ExaiFast.Testing.HermeticStart.EmptyEnvFile;

    private static void AssertRow(string table, string name, string value, string source)
    {
        var row = Regex.Match(table, $"^{Regex.Escape(name)} +(.*)$", RegexOptions.Multiline);
        Assert.True(row.Success, $"no row for {name} in:\n{table}");
        Assert.Matches($"^{Regex.Escape(value)} +{Regex.Escape(source)}\r?$", row.Groups[1].Value);
    }

    private static void AssertRefused(CheckConfigRun run, params string[] lines)
    {
        Assert.Equal(2, run.Code);
        Assert.Equal(lines, run.ErrorLines);
    }

    private static void AssertNoWindowOfASecret(string output)
    {
        foreach (string secret in Secrets)
        {
            for (int i = 0; i + 8 <= secret.Length; i++)
            {
                string window = secret.Substring(i, 8);
                Assert.False(output.Contains(window, StringComparison.Ordinal), $"'{window}' of a secret appeared in:\n{output}");
            }
        }
    }

    private sealed class TempEnvFile : IDisposable
    {
        public TempEnvFile(string text)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"exaifast-check-config-{Guid.NewGuid():N}.env");
            File.WriteAllText(Path, text);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
