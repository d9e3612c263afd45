using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace ExaiFast.Tests.OAuth;

/// <summary>
/// How the daemon comes by the issuer's keys: found through OpenID Connect discovery when the issuer has no RFC 8414
/// metadata, fetched once and kept, fetched again when a token names a key it lacks (a rotation) but never more than once
/// a minute, and a 503 — not a 401 that would make the client throw away a good token — while they cannot be had.
/// </summary>
public class IssuerKeysTests
{
    [Fact]
    public async Task KeysAreFetchedOnce_ARotatedKeyIsPickedUp_AndAnUnknownKidRefetchesAtMostOnceAMinute()
    {
        await using var daemon = await OAuthDaemon.StartAsync(openIdOnly: true); // OAuth only: no EXAI_WS_TOKEN, no scope
        var issuer = daemon.Issuer;
        Assert.Equal(0, issuer.JwksFetches); // nothing is fetched before a token needs it

        for (int i = 0; i < 3; i++)
        {
            using var ok = await daemon.PostAsync(OAuthDaemon.Initialize(), issuer.SignRs256(issuer.Claims(OAuthDaemon.Audience)));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.True(await daemon.HelloAsync(issuer.SignEs256(issuer.Claims(OAuthDaemon.Audience)))); // exai-ws with no daemon token at all
        Assert.Equal(1, issuer.JwksFetches);
        Assert.Equal(1, issuer.Hits("/.well-known/oauth-authorization-server")); // 404: RFC 8414 first,
        Assert.Equal(1, issuer.Hits("/.well-known/openid-configuration")); // then OpenID Connect

        // The issuer rotates: a token signed with its new key names a kid the daemon lacks, so it fetches the keys again.
        using var second = RSA.Create(2048);
        issuer.Publish("rsa-2", second);
        using var rotated = await daemon.PostAsync(OAuthDaemon.Initialize(), issuer.SignRs256(issuer.Claims(OAuthDaemon.Audience), "rsa-2", second));
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(2, issuer.JwksFetches);

        // Another unknown kid within the minute: refused without a fetch, even once the issuer does publish it (a stream
        // of made-up kids cannot make the daemon hammer the issuer).
        using var third = RSA.Create(2048);
        string early = issuer.SignRs256(issuer.Claims(OAuthDaemon.Audience), "rsa-3", third);
        for (int i = 0; i < 3; i++)
        {
            using var refused = await daemon.PostAsync(OAuthDaemon.Initialize(), early);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("error_description=\"the token is signed with a key the issuer does not publish\"", Challenge(refused), StringComparison.Ordinal);
            issuer.Publish("rsa-3", third);
        }

        Assert.Equal(2, issuer.JwksFetches);
        using var stillGood = await daemon.PostAsync(OAuthDaemon.Initialize(), issuer.SignRs256(issuer.Claims(OAuthDaemon.Audience), "rsa-2", second));
        Assert.Equal(HttpStatusCode.OK, stillGood.StatusCode);
    }

    [Fact]
    public async Task AnIssuerThatCannotBeReached_Gets503WithRetryAfter_NotA401()
    {
        // An issuer on a port where nothing listens any more.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var issuer = LocalIssuer.Start(); // signs the tokens; the daemon is pointed elsewhere
        await using var daemon = await OAuthDaemon.StartAsync(new() { ["EXAIFAST_OAUTH_ISSUER"] = $"http://127.0.0.1:{port}" });

        var claims = issuer.Claims(OAuthDaemon.Audience);
        claims["iss"] = $"http://127.0.0.1:{port}";
        using var response = await daemon.PostAsync(OAuthDaemon.Initialize(), issuer.SignRs256(claims));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.False(response.Headers.Contains("WWW-Authenticate"));
        await daemon.WaitForLogAsync("could not be fetched"); // the operator is told why

        // No token at all is still a plain 401 challenge: the client can be told where to get one without the keys.
        using var anonymous = await daemon.PostAsync(OAuthDaemon.Initialize(), null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task MetadataThatNamesAnotherIssuer_IsNotUsed()
    {
        // RFC 8414 §3.3: the document's issuer must be the one its URL was made from, or it could hand out anybody's keys.
        await using var daemon = await OAuthDaemon.StartAsync();
        daemon.Issuer.NamedIssuer = "https://attacker.example.test";
        using var response = await daemon.PostAsync(OAuthDaemon.Initialize(), daemon.Issuer.SignRs256(daemon.Issuer.Claims(OAuthDaemon.Audience)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, daemon.Issuer.JwksFetches);
        await daemon.WaitForLogAsync("is not the metadata of issuer");
    }

    [Theory]
    [InlineData("POST /mcp")]
    [InlineData("MCP WebSocket upgrade")]
    public async Task ARequestWaitingForASlowKeyFetch_IsNotDroppedByItsHeadsDeadline(string door)
    {
        var hold = new TaskCompletionSource();
        var issuer = LocalIssuer.Start();
        issuer.JwksHold = hold.Task;
        await using var daemon = await OAuthDaemon.StartAsync(new() { ["EXAI_WS_HANDSHAKE_TIMEOUT"] = "0.5" }, issuer: issuer);
        try
        {
            string token = issuer.SignRs256(issuer.Claims(OAuthDaemon.Audience));
            var answered = door == "POST /mcp" ? PostAsync() : UpgradeAsync();
            while (issuer.JwksFetches == 0)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            // Four times the head's deadline (its heartbeat ticks every 125 ms), which the head itself met long before.
            await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
            hold.SetResult();
            Assert.NotNull((await answered)["result"]);
            Assert.Equal(1, issuer.JwksFetches);

            async Task<System.Text.Json.Nodes.JsonObject> PostAsync()
            {
                using var response = await daemon.PostAsync(OAuthDaemon.Initialize(), token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
            }

            async Task<System.Text.Json.Nodes.JsonObject> UpgradeAsync()
            {
                await using var ws = await ExaiWsClient.ConnectAsync(daemon.WebSocketUri, hello: false, subprotocol: "mcp", bearer: token);
                await ws.SendAsync(OAuthDaemon.Initialize());
                return await ws.NextAsync();
            }
        }
        finally
        {
            hold.TrySetResult();
        }
    }

    private static string Challenge(HttpResponseMessage response) =>
        response.Headers.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : "";
}
