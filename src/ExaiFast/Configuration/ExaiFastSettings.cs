using ExaiFast.Core.Options;

namespace ExaiFast.Configuration;

/// <summary>Everything the <c>serve</c> command is configured with, after validation.</summary>
public sealed record ExaiFastSettings
{
    /// <summary>Listener, HTTP and WebSocket settings.</summary>
    public ServerOptions Server { get; init; } = new();

    /// <summary>
    /// Run socket completions on the epoll threads instead of queueing them to the thread pool
    /// (<c>EXAIFAST_SOCKET_INLINE_COMPLETIONS</c>; sets <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>).
    /// </summary>
    /// <remarks>Measured: a third to two thirds less CPU per round trip (perf/RESULTS.md). Safe because nothing on a
    /// connection's reader path blocks: frames are parsed, messages handed on with TryWrite, writes flush asynchronously.</remarks>
    public bool SocketInlineCompletions { get; init; } = true;

    /// <summary>Logging settings.</summary>
    public LogSettings Log { get; init; } = new();
}
