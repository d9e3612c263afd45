namespace ExaiFast.Configuration;

/// <summary>The JSON health file <c>serve</c> keeps for tooling (the original daemon's <c>logs/ws_daemon.health.json</c>).</summary>
internal sealed record HealthFileSettings
{
    /// <summary>Where it is written (<c>EXAIFAST_HEALTH_FILE</c>), relative to the working directory; null: no file.</summary>
    public string? File { get; init; }

    /// <summary>How often it is rewritten (<c>EXAIFAST_HEALTH_INTERVAL_SECS</c>).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);
}
