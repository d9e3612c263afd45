using Microsoft.Extensions.Logging;

namespace ExaiFast.Configuration;

/// <summary>Where and how the daemon logs. Never stdout: in stdio mode stdout carries only protocol.</summary>
internal sealed record LogSettings
{
    /// <summary>Lowest level written (<c>EXAIFAST_LOG_LEVEL</c>).</summary>
    public LogLevel Level { get; init; } = LogLevel.Information;

    /// <summary>JSON lines or plain text (<c>EXAIFAST_LOG_FORMAT</c>).</summary>
    public bool Json { get; init; }

    /// <summary>A file to append to instead of stderr (<c>EXAIFAST_LOG_FILE</c>).</summary>
    public string? File { get; init; }

    /// <summary>Entries queued for the writer before new ones are dropped and counted (<c>EXAIFAST_LOG_QUEUE</c>).</summary>
    public int QueueCapacity { get; init; } = 10_000;
}
