using ExaiFast.Configuration;

namespace ExaiFast.Tests.Configuration;

/// <summary>The providers' settings: one provider per key or URL given, validated before anything binds.</summary>
public class ProviderSettingsTests
{
    private static readonly Dictionary<string, string> None = [];

    private static ExaiFastSettings Load(Dictionary<string, string> env) => SettingsLoader.Load(env, None, envFile: HermeticStart.EmptyEnvFile);

    [Fact]
    public void NoKey_ConfiguresNoProvider_AndDefaultModelIsAuto()
    {
        var s = Load(None);
        Assert.Empty(s.Providers.Configured());
        Assert.Equal("auto", s.Providers.DefaultModel);
    }

    [Fact]
    public void EachKeyOrUrl_AddsItsProvider_InPreferenceOrder()
    {
        var s = Load(new()
        {
            ["KIMI_API_KEY"] = "k", ["GLM_API_KEY"] = "g", ["GLM_API_URL"] = "https://open.bigmodel.cn/api/paas/v4/",
            ["OPENAI_COMPATIBLE_BASE_URL"] = "http://localhost:11434/v1", ["OPENAI_COMPATIBLE_MODELS"] = "llama3.2, qwen2.5:7b",
            ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "7", ["EXAIFAST_BREAKER_FAILURE_PERCENT"] = "25",
        });
        var providers = s.Providers.Configured();
        Assert.Equal(["kimi", "glm", "openai"], providers.Select(p => p.Name).ToArray());
        Assert.Equal("https://api.moonshot.ai/v1", providers[0].BaseUrl.ToString());
        Assert.Equal("https://open.bigmodel.cn/api/paas/v4/", providers[1].BaseUrl.ToString());
        Assert.Equal(["llama3.2", "qwen2.5:7b"], providers[2].Models.Select(m => m.Name).ToArray());
        Assert.Null(providers[2].ApiKey); // Ollama needs none
        Assert.All(providers, p => Assert.Equal(TimeSpan.FromSeconds(7), p.Timeouts.Headers));
        Assert.All(providers, p => Assert.Equal(0.25, p.Resilience.FailureRatio));
        Assert.DoesNotContain("k", providers[0].ToString().Replace("kimi", "", StringComparison.Ordinal).Replace("KIMI_API_KEY", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("OPENAI_COMPATIBLE_BASE_URL", "http://localhost:11434/v1", "OPENAI_COMPATIBLE_MODELS names no model")]
    [InlineData("KIMI_API_URL", "not a url", "invalid KIMI_API_URL (from environment): 'not a url' is not an absolute http(s) URL")]
    [InlineData("DEFAULT_MODEL", "gpt-9", "invalid DEFAULT_MODEL: 'gpt-9' is not auto or a model of a configured provider")]
    [InlineData("EXAIFAST_PROVIDER_RETRIES", "11", "is not an integer from 0 to 10")]
    [InlineData("EXAIFAST_BREAKER_CONSECUTIVE_FAILURES", "0", "invalid EXAIFAST_BREAKER_CONSECUTIVE_FAILURES (from environment): '0' is not an integer from 1 to 10000")]
    public void BadProviderSettings_AreRefused_WithOneLine(string key, string value, string message)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(new() { [key] = value }));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EachModelsBreaker_OpensAfterFiveFailuresInARow_UnlessConfigured()
    {
        Assert.All(Load(new() { ["KIMI_API_KEY"] = "k" }).Providers.Configured(), p => Assert.Equal(5, p.Resilience.ConsecutiveFailures));
        var three = Load(new() { ["GLM_API_KEY"] = "g", ["EXAIFAST_BREAKER_CONSECUTIVE_FAILURES"] = "3" });
        Assert.All(three.Providers.Configured(), p => Assert.Equal(3, p.Resilience.ConsecutiveFailures));
    }

    [Fact]
    public void DefaultModel_MayNameAConfiguredModelAliasOrProvider()
    {
        Assert.Equal("glm-flash", Load(new() { ["GLM_API_KEY"] = "g", ["DEFAULT_MODEL"] = "glm-flash" }).Providers.DefaultModel);
        Assert.Equal("local", Load(new() { ["DEFAULT_MODEL"] = "local" }).Providers.DefaultModel);
    }

    [Fact]
    public void ApiKeys_AreSecrets_NeverShown()
    {
        Assert.All(SettingsCatalog.All.Where(d => d.Key.EndsWith("_API_KEY", StringComparison.Ordinal)), d => Assert.True(d.IsSecret));
        Assert.All(SettingsCatalog.All.Where(d => d.Key.EndsWith("_API_KEY", StringComparison.Ordinal)), d => Assert.Null(d.Flag)); // never on a command line
    }
}
