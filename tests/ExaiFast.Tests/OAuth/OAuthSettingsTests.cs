using ExaiFast.Configuration;
using ExaiFast.Tests.Cli;

namespace ExaiFast.Tests.OAuth;

/// <summary>The OAuth settings: what each accepts, what they require of each other, and that serve refuses a bad
/// combination before binding (exit 2, a line naming the setting).</summary>
public class OAuthSettingsTests
{
    private static readonly Dictionary<string, string> None = [];

    private static ExaiFastSettings Load(Dictionary<string, string> env) => SettingsLoader.Load(env, None, HermeticStart.EmptyEnvFile);

    private static string Problem(Dictionary<string, string> env) => Assert.Throws<ConfigurationException>(() => Load(env)).Message;

    [Fact]
    public async Task AnIssuerWithoutAnAudience_StopsServe_WithExit2_NamingTheMissingSetting()
    {
        var run = await CheckConfigRun.StartAsync(new Dictionary<string, string> { ["EXAIFAST_OAUTH_ISSUER"] = "https://auth.example.com" },
            "serve", "--port", "0");
        Assert.Equal(2, run.Code);
        Assert.Contains(run.ErrorLines, l => l.Contains("EXAIFAST_OAUTH_AUDIENCE is not", StringComparison.Ordinal)
            && l.Contains("EXAIFAST_OAUTH_ISSUER is set", StringComparison.Ordinal));
        Assert.Equal(string.Empty, run.Stdout);
    }

    [Fact]
    public void TheSettings_AreBound_AndCheckedAgainstEachOther()
    {
        var oauth = Load(new()
        {
            ["EXAIFAST_OAUTH_ISSUER"] = " https://auth.example.com/tenant1 ",
            ["EXAIFAST_OAUTH_AUDIENCE"] = "https://mcp.example.com/mcp",
            ["EXAIFAST_OAUTH_REQUIRED_SCOPES"] = "mcp:tools, mcp:read  files",
        }).OAuth;
        Assert.True(oauth.Enabled);
        Assert.Equal(("https://auth.example.com/tenant1", "https://mcp.example.com/mcp"), (oauth.Issuer, oauth.Audience));
        Assert.Equal(["mcp:tools", "mcp:read", "files"], oauth.RequiredScopes);
        Assert.False(Load(None).OAuth.Enabled);

        Assert.Equal("EXAIFAST_OAUTH_AUDIENCE is set but EXAIFAST_OAUTH_ISSUER is not: set the issuer whose tokens to accept, or leave the OAuth settings out",
            Problem(new() { ["EXAIFAST_OAUTH_AUDIENCE"] = "https://mcp.example.com/mcp" }));
        Assert.StartsWith("EXAIFAST_OAUTH_REQUIRED_SCOPES is set but EXAIFAST_OAUTH_ISSUER is not",
            Problem(new() { ["EXAIFAST_OAUTH_REQUIRED_SCOPES"] = "mcp:tools" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://auth.example.com")] // plain http off the machine: tokens' keys could be swapped on the way
    [InlineData("https://auth.example.com/?tenant=1")]
    [InlineData("https://auth.example.com/#x")]
    [InlineData("auth.example.com")]
    [InlineData("ftp://127.0.0.1")]
    public void AnIssuerOrAudienceThatIsNotHttps_OrHttpOnLoopback_IsRefused(string url)
    {
        Assert.Equal($"invalid EXAIFAST_OAUTH_ISSUER (from environment): '{url}' is not an https URL without query or fragment (http only on a loopback host)",
            Problem(new() { ["EXAIFAST_OAUTH_ISSUER"] = url, ["EXAIFAST_OAUTH_AUDIENCE"] = "https://mcp.example.com/mcp" }));
        Assert.StartsWith("invalid EXAIFAST_OAUTH_AUDIENCE (from environment):",
            Problem(new() { ["EXAIFAST_OAUTH_ISSUER"] = "https://auth.example.com", ["EXAIFAST_OAUTH_AUDIENCE"] = url }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://localhost:9000/realms/x")]
    [InlineData("http://[::1]:9000")]
    public void HttpOnALoopbackHost_IsAllowed(string url) =>
        Assert.Equal(url, Load(new() { ["EXAIFAST_OAUTH_ISSUER"] = url, ["EXAIFAST_OAUTH_AUDIENCE"] = url + "/mcp" }).OAuth.Issuer);

    [Fact]
    public void AScopeThatCannotTravelInAChallenge_IsRefused()
    {
        var env = new Dictionary<string, string>
        {
            ["EXAIFAST_OAUTH_ISSUER"] = "https://auth.example.com", ["EXAIFAST_OAUTH_AUDIENCE"] = "https://mcp.example.com/mcp",
            ["EXAIFAST_OAUTH_REQUIRED_SCOPES"] = "mcp:tools bad\"scope",
        };
        Assert.StartsWith("invalid EXAIFAST_OAUTH_REQUIRED_SCOPES (from environment):", Problem(env), StringComparison.Ordinal);
    }

    [Fact]
    public void OAuth_IsAuthentication_EnoughToListenOnARemoteAddress()
    {
        var env = new Dictionary<string, string> { ["EXAI_WS_HOST"] = "0.0.0.0" };
        Assert.Equal("refusing to listen on 0.0.0.0 without a token: set EXAI_WS_TOKEN or EXAIFAST_OAUTH_ISSUER, or pass --allow-remote-without-token", Problem(env));
        env["EXAIFAST_OAUTH_ISSUER"] = "https://auth.example.com";
        env["EXAIFAST_OAUTH_AUDIENCE"] = "https://mcp.example.com/mcp";
        Assert.Equal("0.0.0.0", Load(env).Server.Host);
    }
}
