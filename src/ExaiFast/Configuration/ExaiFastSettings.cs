using ExaiFast.Core.Options;

namespace ExaiFast.Configuration;

/// <summary>Everything the <c>serve</c> command is configured with, after validation.</summary>
public sealed record ExaiFastSettings
{
    /// <summary>Listener, HTTP and WebSocket settings.</summary>
    public ServerOptions Server { get; init; } = new();

    /// <summary>Logging settings.</summary>
    public LogSettings Log { get; init; } = new();
}
