using ExaiFast.Redis;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Redis;

/// <summary>REDIS_URL: the forms it takes, and its password never shown — not in errors, logs, metrics or status.</summary>
public sealed class RedisSettingsTests
{
    private const string Password = "pw-s3cret-9f2";

    [Theory]
    [InlineData("redis://127.0.0.1", "127.0.0.1:6379", null, 0, false)]
    [InlineData("redis://:" + Password + "@127.0.0.1:6380/3", "127.0.0.1:6380/3", Password, 3, false)]
    [InlineData("redis://" + Password + "@cache.internal:7000", "cache.internal:7000", Password, 0, false)]
    [InlineData("rediss://user:" + Password + "@cache.internal:6380/0", "cache.internal:6380", Password, 0, true)]
    [InlineData("REDISS://cache.internal", "cache.internal:6379", null, 0, true)]
    [InlineData("cache.internal:6380,password=" + Password + ",defaultDatabase=2", "cache.internal:6380/2", Password, 2, false)]
    [InlineData("cache.internal:6380,ssl=true", "cache.internal:6380", null, 0, true)]
    public void Parse_AcceptsUrlsAndConfigurationStrings_RedissMeansTls_AndDescribeNeverShowsThePassword(string url, string described, string? password, int db, bool tls)
    {
        Assert.Null(RedisUrl.Validate(url));
        var options = RedisUrl.Parse(url);
        Assert.Equal(tls, options.Ssl);
        Assert.Equal(password, options.Password);
        Assert.Equal(db, options.DefaultDatabase ?? 0);
        Assert.False(options.AbortOnConnectFail); // the daemon starts with Redis down
        Assert.Equal(described, RedisUrl.Describe(options));
        Assert.DoesNotContain(Password, RedisUrl.Describe(options));
    }

    [Theory]
    [InlineData("redis://")]
    [InlineData("redis://:" + Password + "@127.0.0.1:notaport")]
    [InlineData("redis://127.0.0.1/notadb")]
    [InlineData("redis://127.0.0.1/1?x=y")]
    [InlineData(",,,")]
    public void Validate_RefusesWhatIsNotARedisUrl(string url) => Assert.NotNull(RedisUrl.Validate(url));

    [Fact]
    public async Task ABadRedisUrl_ExitsWith2_NamingTheSetting_WithoutItsValue()
    {
        await using var daemon = ExaiFastProcess.Start(new Dictionary<string, string> { ["REDIS_URL"] = "redis://:" + Password + "@127.0.0.1:notaport" }, "serve", "--port", "0");
        Assert.Equal(2, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("REDIS_URL", daemon.Stderr);
        Assert.Contains("***", daemon.Stderr);
        Assert.DoesNotContain(Password, daemon.Stderr);
    }

    [Fact]
    public async Task ADaemonWhoseRedisIsDown_StartsServesAndIsReady_AndNeverShowsThePassword()
    {
        var ct = TestContext.Current.CancellationToken;
        using var refused = new RefusedPort(); // no Redis there, nor anything else
        int nothing = refused.Port;
        await using var daemon = ExaiFastProcess.Start(new Dictionary<string, string> { ["REDIS_URL"] = $"redis://:{Password}@127.0.0.1:{nothing}" }, "serve", "--port", "0");
        int port = await daemon.WaitForPortAsync();
        using var http = new HttpClient();
        var ready = await http.GetAsync($"http://127.0.0.1:{port}/ready", ct);
        Assert.Equal(200, (int)ready.StatusCode);
        string health = await http.GetStringAsync($"http://127.0.0.1:{port}/health", ct);
        Assert.Contains("\"redis\":\"down\"", health);
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", ct);
        Assert.Contains("exaifast_redis_up 0", metrics);

        await using var client = await ExaiWsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), sessionId: "s-secretless");
        await client.CallAsync("st", "status");
        var status = await client.ResultAsync("st");
        Assert.True((bool)status["ok"]!);
        Assert.Contains("conversation store redis (down)", (string?)status["text"]);

        await Eventually.Until(() => Task.FromResult(daemon.Stderr.Contains($"Redis down (127.0.0.1:{nothing}", StringComparison.Ordinal)));
        foreach (string seen in (string[])[daemon.Stderr, daemon.Stdout, health, metrics, status.ToJsonString()])
        {
            Assert.DoesNotContain(Password, seen);
        }
    }
}
