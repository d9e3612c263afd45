namespace ExaiFast.Server.Stdio;

/// <summary>Where the stdio bridge finds its daemon, and how long it waits for one.</summary>
internal sealed record ExaiWsBackendOptions
{
    /// <summary>The daemon's exai-ws URL, e.g. <c>ws://127.0.0.1:8079/</c>.</summary>
    public required Uri DaemonUri { get; init; }

    /// <summary>The token every hello carries (<c>EXAI_WS_TOKEN</c>); empty for none.</summary>
    public string Token { get; init; } = "";

    /// <summary>The exai-ws <c>session_id</c>, kept across reconnects so that the daemon hands back running and finished calls.</summary>
    public string SessionId { get; init; } = "stdio-" + Guid.NewGuid().ToString("N");

    /// <summary>How long a call or <c>tools/list</c> waits for a connection to the daemon before it fails.</summary>
    public TimeSpan ConnectWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a call may wait in the bridge for a free slot of the session (the daemon's call deadline).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Calls that wait in the bridge beyond the session's in-flight limit; more get <c>OVER_CAPACITY</c>.</summary>
    public int CallerQueueDepth { get; init; } = 64;

    /// <summary>The first reconnect delay; it doubles up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest reconnect delay.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Called when nothing listens at <see cref="DaemonUri"/> (connection refused), at most once per
    /// <see cref="AutostartInterval"/>: starts a daemon (<c>--autostart</c>). Null: never.
    /// </summary>
    public Func<CancellationToken, Task>? Autostart { get; init; }

    /// <summary>The least time between two autostarts.</summary>
    public TimeSpan AutostartInterval { get; init; } = TimeSpan.FromSeconds(30);
}
