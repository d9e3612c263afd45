namespace ExaiFast.Server.Connections;

/// <summary>
/// Why a connection ended, one of the cases below; its <see cref="Text"/> is what the connection's close log line shows.
/// </summary>
internal sealed class CloseReason
{
    /// <summary>The peer ended the connection: it sent its close first, or an HTTP client went away between requests.</summary>
    public static readonly CloseReason PeerClosed = new("peer closed");

    /// <summary>We closed first and the peer answered with its close.</summary>
    public static readonly CloseReason HandshakeCompleted = new("closing handshake completed");

    /// <summary>The TCP connection ended under an open WebSocket.</summary>
    public static readonly CloseReason PeerVanished = new("peer closed the TCP connection without a close frame");

    /// <summary>The peer was silent past the ping interval plus the ping timeout.</summary>
    public static readonly CloseReason PingTimeout = new("ping timeout");

    /// <summary>A wait for inbound budget was given up by shutdown or an abort.</summary>
    public static readonly CloseReason BudgetWaitEnded = new("waiting for inbound budget ended by shutdown or abort");

    /// <summary>The server aborted the connection (shutdown past the deadline, a failed write, a close deadline).</summary>
    public static readonly CloseReason Aborted = new("aborted");

    /// <summary>A bug: the exception is logged on its own line.</summary>
    public static readonly CloseReason UnexpectedError = new("unexpected error");

    private CloseReason(string text) => Text = text;

    /// <summary>What the close log line shows.</summary>
    public string Text { get; }

    /// <summary>The peer broke RFC 6455; <paramref name="what"/> is also the close frame's reason.</summary>
    public static CloseReason ProtocolError(string what) => new(what);

    /// <summary>A big message waited for, or held, inbound budget too long; <paramref name="what"/> is also the close frame's reason.</summary>
    public static CloseReason InboundBudget(string what) => new(what);

    /// <summary>Refused at accept by a connection limit, named by its metric label.</summary>
    public static CloseReason Refused(string limit) => new(limit);

    /// <summary>The socket failed under us.</summary>
    public static CloseReason ConnectionError(Exception ex) => new($"connection error ({ex.GetType().Name}: {ex.Message})");

    /// <inheritdoc />
    public override string ToString() => Text;
}
