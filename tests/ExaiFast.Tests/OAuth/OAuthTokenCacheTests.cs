using ExaiFast.Server.OAuth;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExaiFast.Tests.OAuth;

/// <summary>
/// The resource server checks a token's signature once and remembers the token as good until it expires (a client sends
/// the same token with every POST) — against a real issuer serving its keys over HTTP. Lifetimes are checked against the
/// system clock, so the expiring token is made to expire a few seconds into the test, and the test waits for that.
/// </summary>
public class OAuthTokenCacheTests
{
    [Fact]
    public async Task AGoodToken_IsCheckedOnce_AndRefusedOnceExpired_ThoughRemembered()
    {
        await using var issuer = LocalIssuer.Start();
        using var http = new HttpClient();
        using var server = new OAuthResourceServer(new OAuthOptions { Issuer = issuer.Issuer, Audience = OAuthDaemon.Audience }, http, TimeProvider.System, NullLogger.Instance);

        string token = issuer.SignRs256(issuer.Claims(OAuthDaemon.Audience));
        for (int i = 0; i < 5; i++)
        {
            Assert.Null(await server.CheckAsync(token));
        }

        Assert.Equal(1, server.SignaturesChecked);

        // A token that differs from it in its signature alone is not the one remembered.
        string forged = token[..(token.LastIndexOf('.') + 1)] + LocalIssuer.Base64Url(new byte[256]);
        Assert.Equal(401, (await server.CheckAsync(forged))?.Status);
        Assert.Equal(2, server.SignaturesChecked);

        // Expired 15 s ago: still good within the 30 s of clock skew allowed, and remembered so.
        var claims = issuer.Claims(OAuthDaemon.Audience);
        var expires = DateTimeOffset.UtcNow.AddSeconds(-15);
        claims["exp"] = expires.ToUnixTimeSeconds();
        string expiring = issuer.SignRs256(claims);
        Assert.Null(await server.CheckAsync(expiring));
        Assert.Null(await server.CheckAsync(expiring));
        Assert.Equal(3, server.SignaturesChecked);

        // Beyond the skew: refused as expired, though it was remembered as good.
        while (DateTimeOffset.UtcNow <= DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()) + OAuthResourceServer.ClockSkew + TimeSpan.FromSeconds(1))
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        var refused = await server.CheckAsync(expiring);
        Assert.NotNull(refused);
        Assert.Equal(401, refused.Status);
        Assert.Equal("Unauthorized: the token has expired", refused.Message);
        Assert.Null(await server.CheckAsync(token)); // the token with time left is still remembered
        Assert.Equal(4, server.SignaturesChecked);
    }
}
