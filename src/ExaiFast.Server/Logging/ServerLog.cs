using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.Logging;

/// <summary>The server's log events. Source-generated: no boxing, and nothing is formatted when the level is off.</summary>
/// <remarks>Arguments are strings and numbers only: a structured (JSON) formatter serialises every argument, and
/// types such as <c>IPEndPoint</c> throw while being serialised (IPv4 <c>ScopeId</c>).</remarks>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Listening on {EndPoint} (transport {Transport})")]
    public static partial void Listening(ILogger logger, string endPoint, string transport);

    [LoggerMessage(2, LogLevel.Information, "Draining {Connections} connections (deadline {DeadlineSeconds}s)")]
    public static partial void Draining(ILogger logger, int connections, double deadlineSeconds);

    [LoggerMessage(3, LogLevel.Information, "Stopped; {Aborted} connections aborted at the drain deadline")]
    public static partial void Stopped(ILogger logger, int aborted);

    [LoggerMessage(10, LogLevel.Debug, "Connection {ConnectionId} from {Remote} opened")]
    public static partial void ConnectionOpened(ILogger logger, long connectionId, string? remote);

    [LoggerMessage(11, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, string reason);

    [LoggerMessage(12, LogLevel.Debug, "Connection {ConnectionId} protocol error {Code}: {Reason}")]
    public static partial void ProtocolError(ILogger logger, long connectionId, ushort code, string reason);

    [LoggerMessage(13, LogLevel.Information, "Connection {ConnectionId} refused: {Reason}")]
    public static partial void Refused(ILogger logger, long connectionId, string reason);

    // Debug, not Information: a rate limit refuses floods, and a line per refused socket would flood the log in turn
    // (exaifast_rate_limited_total counts them).
    [LoggerMessage(15, LogLevel.Debug, "Connection {ConnectionId} refused: over its address's connection rate")]
    public static partial void RateLimited(ILogger logger, long connectionId);

    [LoggerMessage(14, LogLevel.Debug, "Connection {ConnectionId} timed out: {Kind}")]
    public static partial void TimedOut(ILogger logger, long connectionId, string kind);

    [LoggerMessage(20, LogLevel.Error, "Connection {ConnectionId} failed unexpectedly")]
    public static partial void UnexpectedError(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(22, LogLevel.Error, "Connection {ConnectionId}: endpoint {Path} failed")]
    public static partial void EndpointFailed(ILogger logger, long connectionId, string path, Exception exception);

    [LoggerMessage(23, LogLevel.Error, "Connection {ConnectionId}: endpoint {Path} returned without responding (500 sent)")]
    public static partial void EndpointDidNotRespond(ILogger logger, long connectionId, string path);

    [LoggerMessage(21, LogLevel.Error, "Accept loop failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);
}
