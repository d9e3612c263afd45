namespace ExaiFast.Server.Options;

/// <summary>Settings of the exai-ws front door.</summary>
internal sealed record ExaiWsOptions
{
    /// <summary>The shared token (<c>EXAI_WS_TOKEN</c>); empty means no authentication (loopback only by default).</summary>
    public string Token { get; init; } = string.Empty;

    /// <summary>Time allowed for the hello frame (<c>EXAI_WS_HELLO_TIMEOUT</c>); then close 4002.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a disconnected session's calls keep running for a reconnect (<c>EXAI_WS_DISCONNECT_GRACE_SECS</c>).</summary>
    public TimeSpan DisconnectGrace { get; init; } = TimeSpan.FromSeconds(15);
}
