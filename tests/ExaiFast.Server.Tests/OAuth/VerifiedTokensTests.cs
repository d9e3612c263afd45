using ExaiFast.Server.OAuth;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace ExaiFast.Server.Tests.OAuth;

/// <summary>The memory of good tokens stays within its bound, and lets a token go at its expiry.</summary>
public class VerifiedTokensTests
{
    private static readonly IssuerKeys.KeySet Keys = new(new List<SecurityKey>(), [], FetchedAt: 0);

    [Fact]
    public void AFullMemory_DropsExpiredTokensFirst_AndEverythingWhenNoneExpired()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = new VerifiedTokens(time, capacity: 4);
        var now = time.GetUtcNow();
        tokens.Add("short-1", now + TimeSpan.FromMinutes(1), Keys, "k");
        tokens.Add("short-2", now + TimeSpan.FromMinutes(1), Keys, "k");
        tokens.Add("long-1", now + TimeSpan.FromHours(1), Keys, "k");
        tokens.Add("long-2", now + TimeSpan.FromHours(1), Keys, "k");
        Assert.Same(Keys, tokens.Find("short-1", out string? kid));
        Assert.Equal("k", kid);

        time.Advance(TimeSpan.FromMinutes(2));
        tokens.Add("long-3", time.GetUtcNow() + TimeSpan.FromHours(1), Keys, null);
        Assert.Equal(3, tokens.Count); // the two expired ones made room
        Assert.Null(tokens.Find("short-2", out _));
        Assert.Same(Keys, tokens.Find("long-1", out _));

        tokens.Add("long-4", time.GetUtcNow() + TimeSpan.FromHours(1), Keys, null);
        tokens.Add("long-5", time.GetUtcNow() + TimeSpan.FromHours(1), Keys, null);
        Assert.Equal(1, tokens.Count); // full of good tokens: forgotten, to be checked again
        Assert.Same(Keys, tokens.Find("long-5", out _));
        Assert.Null(tokens.Find("long-1", out _));
    }
}
