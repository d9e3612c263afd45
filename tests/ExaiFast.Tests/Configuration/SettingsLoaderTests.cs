using ExaiFast.Cli;
using ExaiFast.Configuration;
using ExaiFast.Server.Options;

namespace ExaiFast.Tests.Configuration;

public class SettingsLoaderTests
{
    private static readonly Dictionary<string, string> None = [];

    [Fact]
    public void Defaults_MatchTheProtocol()
    {
        var s = SettingsLoader.Load(None, None, envFile: HermeticStart.EmptyEnvFile).Server;
        Assert.Equal("127.0.0.1", s.Host);
        Assert.Equal(8079, s.Port);
        Assert.Equal(32L * 1024 * 1024, s.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), s.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), s.PingTimeout);
        Assert.Equal(10_000, s.MaxConnections);
        Assert.Equal(1_000, s.MaxConnectionsPerIp);
    }

    [Fact]
    public void Precedence_IsDefaults_ThenDotEnv_ThenEnvironment_ThenFlags()
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, "# comment\nEXAI_WS_PORT=1111\nexport EXAI_WS_MAX_BYTES=\"2048\"\nEXAI_WS_PING_INTERVAL=2.5 # inline comment\nEXAI_WS_HOST=0.0.0.0\nEXAI_WS_TOKEN=t0k3n\n");
        var env = new Dictionary<string, string> { ["EXAI_WS_PORT"] = "2222", ["EXAI_WS_MAX_BYTES"] = "4096" };
        var flags = new Dictionary<string, string> { ["EXAI_WS_PORT"] = "3333" };

        var s = SettingsLoader.Load(env, flags, file).Server;

        Assert.Equal(3333, s.Port);                           // flag beats env beats .env
        Assert.Equal(4096, s.MaxMessageBytes);                // env beats .env
        Assert.Equal(TimeSpan.FromSeconds(2.5), s.PingInterval); // .env beats default, fractions allowed
        Assert.Equal("0.0.0.0", s.Host);
    }

    [Fact]
    public void ConformanceTools_AreOffByDefault_AndOnWithTheVariableOrTheFlag()
    {
        Assert.False(SettingsLoader.Load(None, None, HermeticStart.EmptyEnvFile).ConformanceTools);
        Assert.True(SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_CONFORMANCE_TOOLS"] = "true" }, None, HermeticStart.EmptyEnvFile).ConformanceTools);
        Assert.True(SettingsLoader.Load(None, new Dictionary<string, string> { ["EXAIFAST_CONFORMANCE_TOOLS"] = "true" }, HermeticStart.EmptyEnvFile).ConformanceTools);
    }

    [Theory]
    [InlineData("EXAI_WS_PORT", "abc", "invalid EXAI_WS_PORT (from environment): 'abc' is not an integer from 0 to 65535")]
    [InlineData("EXAI_WS_PORT", "70000", "invalid EXAI_WS_PORT (from environment): '70000' is not an integer from 0 to 65535")]
    [InlineData("EXAI_WS_MAX_BYTES", "-1", "invalid EXAI_WS_MAX_BYTES (from environment): '-1' is not an integer from 1024 to 1073741824")]
    [InlineData("EXAI_WS_PING_INTERVAL", "soon", "invalid EXAI_WS_PING_INTERVAL (from environment): 'soon' is not a number of seconds from 0.05 to 86400")]
    [InlineData("EXAI_WS_HOST", "not-an-ip", "invalid EXAI_WS_HOST (from environment): 'not-an-ip' is not an IP address, localhost, 0.0.0.0 or ::")]
    [InlineData("EXAIFAST_LOG_LEVEL", "loud", "invalid EXAIFAST_LOG_LEVEL (from environment): 'loud' is not one of trace, debug, information, warning, error, critical, none")]
    [InlineData("EXAIFAST_TRANSPORT", "carrier-pigeon", "invalid EXAIFAST_TRANSPORT (from environment): 'carrier-pigeon' is not one of streams, sockets")]
    public void BadValues_NameTheVariable_TheValue_AndTheAllowedRange(string key, string value, string message)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { [key] = value }, None, HermeticStart.EmptyEnvFile));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void BadFlag_IsNamedByItsFlag()
    {
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(None, new Dictionary<string, string> { ["EXAI_WS_PORT"] = "-5" }, HermeticStart.EmptyEnvFile));
        Assert.Equal("invalid --port: '-5' is not an integer from 0 to 65535", ex.Message);
    }

    [Fact]
    public void BadDotEnvLine_NamesTheFileAndLine()
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, "EXAI_WS_PORT=1\nthis is not a setting\n");
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(None, None, file));
        Assert.Equal($"{file}:2: expected KEY=value", ex.Message);
    }

    [Theory]
    [InlineData("hunter2\u0007bell")]   // a control character: it could not travel in an Authorization header
    [InlineData("hunter2\nsecond-line")]
    public void BadSecret_IsNamed_ButItsValueIsMasked(string token)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_TOKEN"] = token }, None, HermeticStart.EmptyEnvFile));
        Assert.Equal("invalid EXAI_WS_TOKEN (from environment): '***' is not a non-blank secret without control characters", ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void BadSecret_FromDotEnv_IsMaskedToo()
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, "EXAI_WS_TOKEN=hunter2\u0007bell\n");
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(None, None, file));
        Assert.Equal($"invalid EXAI_WS_TOKEN (from {file}): '***' is not a non-blank secret without control characters", ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void BlankToken_IsRefused_ButEmptyMeansNoToken()
    {
        // "   " trimmed to "" would silently mean "no authentication" while the operator believes a token is set.
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_TOKEN"] = "   " }, None, HermeticStart.EmptyEnvFile));
        Assert.Equal("invalid EXAI_WS_TOKEN (from environment): '***' is not a non-blank secret without control characters", ex.Message);
        Assert.Equal(string.Empty, SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_TOKEN"] = "" }, None, HermeticStart.EmptyEnvFile).ExaiWs.Token);
        Assert.Equal("s3cret", SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_TOKEN"] = " s3cret " }, None, HermeticStart.EmptyEnvFile).ExaiWs.Token);
    }

    [Fact]
    public void ASwitchNamedAfterTheToken_IsNotASecret_ItsBadValueIsShown()
    {
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_ALLOW_REMOTE_WITHOUT_TOKEN"] = "maybe" }, None, HermeticStart.EmptyEnvFile));
        Assert.Equal("invalid EXAI_WS_ALLOW_REMOTE_WITHOUT_TOKEN (from environment): 'maybe' is not one of true, false", ex.Message);
    }

    [Fact]
    public void RemoteAddressWithoutToken_IsRefused_UnlessAllowed()
    {
        var env = new Dictionary<string, string> { ["EXAI_WS_HOST"] = "0.0.0.0" };
        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(env, None, HermeticStart.EmptyEnvFile));
        Assert.Equal("refusing to listen on 0.0.0.0 without a token: set EXAI_WS_TOKEN or EXAIFAST_OAUTH_ISSUER, or pass --allow-remote-without-token", ex.Message);

        Assert.Equal("0.0.0.0", SettingsLoader.Load(env, new Dictionary<string, string> { ["EXAI_WS_ALLOW_REMOTE_WITHOUT_TOKEN"] = "true" }, HermeticStart.EmptyEnvFile).Server.Host);
        Assert.Equal("0.0.0.0", SettingsLoader.Load(new Dictionary<string, string>(env) { ["EXAI_WS_TOKEN"] = "s3cret" }, None, HermeticStart.EmptyEnvFile).Server.Host);
        Assert.Equal("::1", SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_HOST"] = "::1" }, None, HermeticStart.EmptyEnvFile).Server.Host);
    }

    [Fact]
    public void MemoryMarks_AreBoundInMiB_AndTheHighWaterMustBeBelowTheCriticalMark()
    {
        var set = SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_MEMORY_HIGH_MB"] = "512", ["EXAIFAST_MEMORY_CRITICAL_MB"] = "768", ["EXAIFAST_MEMORY_CHECK_SECS"] = "0.5" }, None, HermeticStart.EmptyEnvFile);
        Assert.Equal((512L << 20, 768L << 20, TimeSpan.FromSeconds(0.5)), (set.Dispatcher.MemoryHighWaterBytes, set.Dispatcher.MemoryCriticalBytes, set.Dispatcher.MemoryCheckInterval));
        Assert.Equal((0L, 0L), (SettingsLoader.Load(None, None, HermeticStart.EmptyEnvFile).Dispatcher.MemoryHighWaterBytes, SettingsLoader.Load(None, None, HermeticStart.EmptyEnvFile).Dispatcher.MemoryCriticalBytes)); // derived

        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_MEMORY_HIGH_MB"] = "800", ["EXAIFAST_MEMORY_CRITICAL_MB"] = "800" }, None, HermeticStart.EmptyEnvFile));
        Assert.Equal("invalid memory marks: EXAIFAST_MEMORY_HIGH_MB (800) must be below EXAIFAST_MEMORY_CRITICAL_MB (800)", ex.Message);

        // A high mark above the derived critical one (90% of what the GC may use) is caught the same way.
        long availableMb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 20;
        Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_MEMORY_HIGH_MB"] = $"{availableMb}" }, None, HermeticStart.EmptyEnvFile));
    }

    [Fact]
    public void InboundBudget_DefaultsTo256MiBOrTheLargestMessage_AndMustHoldTheLargestMessage()
    {
        Assert.Equal(256L << 20, SettingsLoader.Load(None, None, HermeticStart.EmptyEnvFile).Server.EffectiveInboundBudgetBytes);
        Assert.Equal(512L << 20, SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_MAX_BYTES"] = $"{512L << 20}" }, None, HermeticStart.EmptyEnvFile).Server.EffectiveInboundBudgetBytes);
        var set = SettingsLoader.Load(None, new Dictionary<string, string> { ["EXAIFAST_INBOUND_BUDGET_MB"] = "64", ["EXAIFAST_INBOUND_BUDGET_TIMEOUT"] = "2.5", ["EXAIFAST_MEMORY_COMPACT_MB"] = "16" }, HermeticStart.EmptyEnvFile);
        Assert.Equal((64L << 20, TimeSpan.FromSeconds(2.5), 16L << 20), (set.Server.EffectiveInboundBudgetBytes, set.Server.InboundBudgetTimeout, set.Dispatcher.MemoryCompactGrowthBytes));

        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_INBOUND_BUDGET_MB"] = "16" }, None, HermeticStart.EmptyEnvFile));
        Assert.Equal("invalid EXAIFAST_INBOUND_BUDGET_MB: 16 MiB is below EXAI_WS_MAX_BYTES (33554432); the budget must hold the largest message", ex.Message);
        Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_INBOUND_BUDGET_TIMEOUT"] = "0" }, None, HermeticStart.EmptyEnvFile));
    }

    [Fact]
    public void RateLimits_BindFromEnvironmentAndFlags_AndABurstOfALimitThatIsOffIsRefused()
    {
        var rates = SettingsLoader.Load(
            new Dictionary<string, string> { ["EXAIFAST_RATE_CALLS_PER_IP"] = "120", ["EXAIFAST_RATE_CALLS_PER_IP_BURST"] = "30", ["EXAIFAST_RATE_LIMIT_LOOPBACK"] = "true" },
            new Dictionary<string, string> { ["EXAIFAST_RATE_CONNECTIONS_PER_IP"] = "0", ["EXAIFAST_RATE_CALLS_PER_SESSION"] = "60" },
            HermeticStart.EmptyEnvFile).Server.RateLimits;
        Assert.False(rates.ConnectionsPerIp.IsOn);
        Assert.Equal((120, 30), (rates.CallsPerIp.PerMinute, rates.CallsPerIp.EffectiveBurst));
        Assert.Equal((60, 60), (rates.CallsPerSession.PerMinute, rates.CallsPerSession.EffectiveBurst)); // no burst: a minute's worth
        Assert.True(rates.LimitLoopback);

        var ex = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_RATE_CALLS_PER_SESSION_BURST"] = "5" }, None, HermeticStart.EmptyEnvFile));
        Assert.Equal("invalid EXAIFAST_RATE_CALLS_PER_SESSION_BURST: 5 is a burst of a limit that is off (EXAIFAST_RATE_CALLS_PER_SESSION is 0); set EXAIFAST_RATE_CALLS_PER_SESSION too, or leave the burst out", ex.Message);
        Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_RATE_CALLS_PER_IP"] = "-1" }, None, HermeticStart.EmptyEnvFile));
    }

    [Fact]
    public void CallTimeout_DefaultsTo1Point5TimesTheWorkflowTimeout_UnlessSet()
    {
        Assert.Equal(TimeSpan.FromSeconds(180), SettingsLoader.Load(None, None, HermeticStart.EmptyEnvFile).Dispatcher.CallTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), SettingsLoader.Load(new Dictionary<string, string> { ["WORKFLOW_TOOL_TIMEOUT_SECS"] = "10" }, None, HermeticStart.EmptyEnvFile).Dispatcher.CallTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12.5), SettingsLoader.Load(new Dictionary<string, string> { ["WORKFLOW_TOOL_TIMEOUT_SECS"] = "10", ["EXAI_WS_CALL_TIMEOUT_SECS"] = "12.5" }, None, HermeticStart.EmptyEnvFile).Dispatcher.CallTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_CALL_TIMEOUT_SECS"] = "2.5" }, None, HermeticStart.EmptyEnvFile).Dispatcher.CallTimeout);
    }

    [Fact]
    public void LaneSlots_AndLimits_AreBound()
    {
        var env = new Dictionary<string, string> { ["EXAI_WS_KIMI_MAX_INFLIGHT"] = "3", ["EXAI_WS_LOCAL_MAX_INFLIGHT"] = "50", ["EXAI_WS_SESSION_MAX_INFLIGHT"] = "2", ["EXAI_WS_DISABLE_COALESCE_FOR_TOOLS"] = "chat, version" };
        var d = SettingsLoader.Load(env, None, HermeticStart.EmptyEnvFile).Dispatcher;
        Assert.Equal(3, d.LaneSlots["kimi"]);
        Assert.Equal(50, d.LaneSlots["local"]);
        Assert.Equal(4, d.LaneSlots["glm"]);
        Assert.Equal(2, d.CallerMaxInflight);
        Assert.True(d.DisableCoalesceFor.SetEquals(["chat", "version"]));
    }

    [Fact]
    public void Transport_CanBeChosen()
    {
        var s = SettingsLoader.Load(new Dictionary<string, string> { ["EXAIFAST_TRANSPORT"] = "sockets" }, None, HermeticStart.EmptyEnvFile).Server;
        Assert.Equal(SocketTransport.Sockets, s.Transport);
    }

    [Theory]
    [InlineData(new[] { "serve", "--port", "abc" }, "exaifast: invalid --port: 'abc' is not an integer from 0 to 65535")]
    [InlineData(new[] { "serve", "--max-bytes", "12" }, "exaifast: invalid --max-bytes: '12' is not an integer from 1024 to 1073741824")]
    [InlineData(new[] { "serve", "--env-file", "/nonexistent/.env" }, "exaifast: --env-file '/nonexistent/.env' does not exist")]
    public void Cli_BadConfiguration_Exits2_WithOneLine(string[] args, string line)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = ExaiFastCli.Run(args, new Dictionary<string, string>(), stdout, stderr);

        Assert.Equal(ExaiFastCli.ExitConfig, code);
        Assert.Equal(line, stderr.ToString().TrimEnd());
        Assert.Equal(string.Empty, stdout.ToString());
    }

    [Fact]
    public void Cli_Help_ListsEveryFlag_WithItsEnvironmentName()
    {
        var stdout = new StringWriter();
        int code = ExaiFastCli.Run(["serve", "--help"], new Dictionary<string, string>(), stdout, new StringWriter());
        Assert.Equal(0, code);
        foreach (var d in SettingsCatalog.All.Where(d => d.Flag is not null))
        {
            Assert.Contains(d.Flag!, stdout.ToString());
            Assert.Contains(d.Key, stdout.ToString());
        }

        Assert.DoesNotContain("--token", stdout.ToString()); // secrets are never flags (they would show in ps)
    }
}
