namespace ExaiFast.Hosting;

/// <summary>What <c>exaifast stdio</c> was asked to do, beyond the settings it shares with <c>serve</c>.</summary>
internal sealed record StdioOptions
{
    /// <summary>Serve the tools in this process (<c>--in-process</c>) instead of bridging to a daemon.</summary>
    public bool InProcess { get; init; }

    /// <summary>Start a daemon when none answers (<c>--autostart</c>).</summary>
    public bool Autostart { get; init; }

    /// <summary>The daemon's exai-ws URL (bridge only).</summary>
    public Uri DaemonUri { get; init; } = new("ws://127.0.0.1:8079/");

    /// <summary>How long calls wait for a connection to the daemon (<c>--connect-timeout</c>).</summary>
    public TimeSpan ConnectWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The <c>--env-file</c> given to the bridge, passed on to an autostarted daemon.</summary>
    public string? EnvFile { get; init; }

    /// <summary>Where an autostarted daemon logs.</summary>
    public string DaemonLogFile { get; init; } = "";

    /// <summary>The lock bridges take while one of them starts the daemon (<see cref="RuntimeDirectory.StartLock"/>).</summary>
    public string StartLockFile { get; init; } = "";
}
