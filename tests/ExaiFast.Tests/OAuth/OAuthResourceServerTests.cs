using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.OAuth;

/// <summary>
/// The OAuth 2.1 resource-server mode end to end: the real daemon process, a real issuer on 127.0.0.1 serving its
/// metadata and keys, and tokens signed by the test. A good token is served on every door; each kind of bad token is
/// refused with the status and <c>WWW-Authenticate</c> challenge the MCP authorization spec and RFC 6750 give it.
/// </summary>
public class OAuthResourceServerTests(OAuthDaemonFixture fixture) : IClassFixture<OAuthDaemonFixture>
{
    private const string Challenge401 = $"resource_metadata=\"{OAuthDaemon.MetadataUrl}\", scope=\"{OAuthDaemonFixture.Scope}\"";

    private OAuthDaemon Daemon => fixture.Daemon;

    private LocalIssuer Issuer => fixture.Daemon.Issuer;

    private string GoodToken(string scope = OAuthDaemonFixture.Scope + " profile") => Issuer.SignRs256(Issuer.Claims(OAuthDaemon.Audience, scope));

    [Fact]
    public async Task AGoodToken_IsServed_OnMcpHttp_OnAnMcpWebSocket_InAnExaiWsHello_AndByTheDashboardData()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (string token in new[] { GoodToken(), Issuer.SignEs256(Issuer.Claims(OAuthDaemon.Audience, OAuthDaemonFixture.Scope)) })
        {
            using var init = await Daemon.PostAsync(OAuthDaemon.Initialize(), token);
            Assert.Equal(HttpStatusCode.OK, init.StatusCode);
            string session = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));

            // A tool call, answered by the offline model: the token got the client all the way to a tool.
            using var call = await Daemon.PostAsync(new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/call",
                ["params"] = new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "hello", ["model"] = "local" } },
            }, token, session);
            Assert.Equal(HttpStatusCode.OK, call.StatusCode);
            string body = await call.Content.ReadAsStringAsync(ct);
            Assert.Contains("\"result\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain("\"isError\":true", body, StringComparison.Ordinal);

            // Every request carries the token (MCP: "even if they are part of the same logical session").
            using var noToken = await Daemon.PostAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 3, ["method"] = "ping" }, null, session);
            Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);

            var initialized = await Daemon.InitializeOverWebSocketAsync(token);
            Assert.Equal("2025-11-25", (string?)initialized["result"]?["protocolVersion"]);
            Assert.True(await Daemon.HelloAsync(token));

            using var data = new HttpRequestMessage(HttpMethod.Get, "dashboard/data") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
            using var dashboard = await Daemon.Http.SendAsync(data, ct);
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        }
    }

    [Fact]
    public async Task NoToken_Gets401_WithTheResourceMetadataAndTheScope_OnEveryDoor()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await Daemon.PostAsync(OAuthDaemon.Initialize(), bearer: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer " + Challenge401, Challenge(response));
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["error"]!;
        Assert.Contains(OAuthDaemon.MetadataUrl, (string)error["message"]!, StringComparison.Ordinal);

        var (status, challenge) = await Daemon.RefusedUpgradeAsync(bearer: null);
        Assert.Equal((HttpStatusCode.Unauthorized, "Bearer " + Challenge401), (status, challenge));

        using var dashboard = await Daemon.Http.GetAsync("dashboard/data", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, dashboard.StatusCode);
        Assert.Equal("Bearer " + Challenge401, Challenge(dashboard));

        Assert.False(await Daemon.HelloAsync(null));
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { "expired", "the token has expired" },
        { "not yet valid", "the token is not valid yet" },
        { "no expiry", "the token has no expiry" },
        { "wrong audience", "the token is not for this resource (audience)" },
        { "wrong issuer", "the token is not from the trusted issuer" },
        { "unsigned", "the token is not signed" },
        { "tampered payload", "the token's signature does not verify" },
        { "another key under a published kid", "the token's signature does not verify" },
        { "unknown kid", "the token is signed with a key the issuer does not publish" },
        { "HS256 with the public key as secret", "the token's signature algorithm is not accepted (RS*, PS* or ES* only)" },
        { "not a JWT", "the token is not a JWT" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task ABadToken_Gets401_InvalidToken_WithWhy_OnEveryDoor(string kind, string why)
    {
        string token = BadToken(kind);
        string expected = $"Bearer error=\"invalid_token\", error_description=\"{why}\", {Challenge401}";

        using var response = await Daemon.PostAsync(OAuthDaemon.Initialize(), token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(expected, Challenge(response));
        Assert.False(response.Headers.Contains("Mcp-Session-Id"));

        Assert.Equal((HttpStatusCode.Unauthorized, expected), await Daemon.RefusedUpgradeAsync(token));
        Assert.False(await Daemon.HelloAsync(token));
    }

    [Fact]
    public async Task AGoodTokenWithoutTheScope_Gets403_InsufficientScope()
    {
        string expected = $"Bearer error=\"insufficient_scope\", scope=\"{OAuthDaemonFixture.Scope}\", resource_metadata=\"{OAuthDaemon.MetadataUrl}\", " +
            $"error_description=\"the token lacks the scope {OAuthDaemonFixture.Scope}\"";
        foreach (string? scope in new[] { null, "profile email", "mcp:tool mcp:tools:extra" })
        {
            string token = Issuer.SignRs256(Issuer.Claims(OAuthDaemon.Audience, scope));
            using var response = await Daemon.PostAsync(OAuthDaemon.Initialize(), token);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal(expected, Challenge(response));
            Assert.Equal((HttpStatusCode.Forbidden, expected), await Daemon.RefusedUpgradeAsync(token));
            Assert.False(await Daemon.HelloAsync(token));
        }

        // "scp" as an array (as some issuers send it) counts too.
        var claims = Issuer.Claims(OAuthDaemon.Audience);
        claims["scp"] = new JsonArray("profile", OAuthDaemonFixture.Scope);
        using var scp = await Daemon.PostAsync(OAuthDaemon.Initialize(), Issuer.SignRs256(claims));
        Assert.Equal(HttpStatusCode.OK, scp.StatusCode);
    }

    [Fact]
    public async Task TheMetadataDocument_IsServed_AtTheRootAndAtThePathOfMcp_WithoutAToken()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (string path in new[] { ".well-known/oauth-protected-resource", ".well-known/oauth-protected-resource/mcp" })
        {
            using var response = await Daemon.Http.GetAsync(path, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var document = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsObject();
            Assert.Equal(OAuthDaemon.Audience, (string?)document["resource"]);
            Assert.Equal([Issuer.Issuer], document["authorization_servers"]!.AsArray().Select(s => (string?)s));
            Assert.Equal(["header"], document["bearer_methods_supported"]!.AsArray().Select(s => (string?)s));
            Assert.Equal([OAuthDaemonFixture.Scope], document["scopes_supported"]!.AsArray().Select(s => (string?)s));
        }

        using var post = await Daemon.Http.PostAsync(".well-known/oauth-protected-resource", new StringContent("{}"), ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Fact]
    public async Task TheDaemonsOwnToken_IsAcceptedAlongside_ButAnAccessTokenNeverInTheQuery()
    {
        using var init = await Daemon.PostAsync(OAuthDaemon.Initialize(), fixture.StaticToken);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        Assert.Equal("2025-11-25", (string?)(await Daemon.InitializeOverWebSocketAsync(bearer: null, query: "token=" + fixture.StaticToken))["result"]?["protocolVersion"]);
        Assert.True(await Daemon.HelloAsync(fixture.StaticToken));

        // MCP: "Access tokens MUST NOT be included in the URI query string"; a good one there is no token at all.
        var (status, challenge) = await Daemon.RefusedUpgradeAsync(bearer: null, query: "token=" + GoodToken());
        Assert.Equal((HttpStatusCode.Unauthorized, "Bearer " + Challenge401), (status, challenge));
    }

    [Fact]
    public async Task EachUser_IsListedTheirOwnThreadsAlone()
    {
        // Many users of one issuer, each proving who they are: none is shown what the others asked (a thread is still read
        // by its id, which only its maker was told).
        var (mine, theirs) = (Issuer.Claims(OAuthDaemon.Audience, OAuthDaemonFixture.Scope), Issuer.Claims(OAuthDaemon.Audience, OAuthDaemonFixture.Scope));
        theirs["sub"] = "user-2";
        await using var me = await ExaiWsClient.ConnectAsync(Daemon.WebSocketUri, hello: false, subprotocol: "mcp", bearer: Issuer.SignRs256(mine));
        await using var them = await ExaiWsClient.ConnectAsync(Daemon.WebSocketUri, hello: false, subprotocol: "mcp", bearer: Issuer.SignRs256(theirs));
        foreach (var client in new[] { me, them })
        {
            await client.SendAsync(OAuthDaemon.Initialize());
            await client.WaitForAsync(f => (int?)f["id"] == 1);
        }

        await me.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "mine alone", ["model"] = "local" } },
        });
        Assert.NotNull((await me.WaitForAsync(f => (int?)f["id"] == 2))["result"]?["continuation_id"]);

        foreach (var (client, count) in new[] { (me, 1), (them, 0) })
        {
            await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 3, ["method"] = "resources/list", ["params"] = new JsonObject() });
            Assert.Equal(count, (await client.WaitForAsync(f => (int?)f["id"] == 3))["result"]!["resources"]!.AsArray().Count);
        }
    }

    private string BadToken(string kind)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = Issuer.Claims(OAuthDaemon.Audience, OAuthDaemonFixture.Scope);
        switch (kind)
        {
            case "expired": // well past the daemon's clock skew
                (claims["iat"], claims["nbf"], claims["exp"]) = (now - 1200, now - 1200, now - 600);
                return Issuer.SignRs256(claims);
            case "not yet valid":
                (claims["nbf"], claims["exp"]) = (now + 600, now + 1200);
                return Issuer.SignRs256(claims);
            case "no expiry":
                claims.Remove("exp");
                return Issuer.SignRs256(claims);
            case "wrong audience":
                claims["aud"] = "https://other.example.test/mcp";
                return Issuer.SignRs256(claims);
            case "wrong issuer": // signed by the trusted key all the same
                claims["iss"] = "https://issuer.example.test";
                return Issuer.SignRs256(claims);
            case "unsigned":
                return LocalIssuer.Unsigned(claims);
            case "tampered payload":
            {
                string[] parts = Issuer.SignRs256(Issuer.Claims(OAuthDaemon.Audience, "profile")).Split('.');
                return parts[0] + "." + LocalIssuer.Encode(claims) + "." + parts[2]; // the scope added after signing
            }

            case "another key under a published kid":
            {
                using var other = RSA.Create(2048);
                return Issuer.SignRs256(claims, "rsa-1", other);
            }

            case "unknown kid":
            {
                using var other = RSA.Create(2048);
                return Issuer.SignRs256(claims, "rsa-unpublished", other);
            }

            case "HS256 with the public key as secret":
                return LocalIssuer.SignHs256(claims, Encoding.ASCII.GetBytes(Issuer.Rsa.ExportSubjectPublicKeyInfoPem()));
            default:
                return "not-a-jwt";
        }
    }

    private static string? Challenge(HttpResponseMessage response) =>
        response.Headers.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : null;
}
