namespace ExaiFast.Core.Dispatch;

/// <summary>What <see cref="Dispatcher.Submit"/> did with a request.</summary>
public enum SubmitStatus
{
    /// <summary>A new call was queued.</summary>
    Accepted,
    /// <summary>The same request id is running: the listener was attached to it (no second execution).</summary>
    Attached,
    /// <summary>An identical call (same caller, tool, arguments) is running: the listener shares its execution.</summary>
    Coalesced,
    /// <summary>The request id finished within the result TTL: here is its stored result.</summary>
    Replayed,
    /// <summary>Refused at once (limit, full queue, shutting down): see the result's error.</summary>
    Refused,
}
