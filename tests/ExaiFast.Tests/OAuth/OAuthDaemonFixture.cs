using System.Security.Cryptography;

namespace ExaiFast.Tests.OAuth;

/// <summary>One OAuth-mode daemon (scope <c>mcp:tools</c> required, and the daemon's own token accepted alongside) and
/// its issuer, shared by the tests of <see cref="OAuthResourceServerTests"/>.</summary>
public sealed class OAuthDaemonFixture : IAsyncLifetime
{
    public const string Scope = "mcp:tools";

    // 32 random hex digits: the daemon's own token (EXAI_WS_TOKEN), accepted beside the issuer's access tokens.
    public string StaticToken { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    internal OAuthDaemon Daemon { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Daemon = await OAuthDaemon.StartAsync(new() { ["EXAIFAST_OAUTH_REQUIRED_SCOPES"] = Scope, ["EXAI_WS_TOKEN"] = StaticToken });

    public ValueTask DisposeAsync() => Daemon.DisposeAsync();
}
