namespace ExaiFast.Server.Http;

/// <summary>How reading a request body ended; anything but <see cref="Complete"/> ends the connection.</summary>
internal enum BodyOutcome : byte
{
    /// <summary>Read whole: the request is served.</summary>
    Complete,
    /// <summary>Past the body limit: 413.</summary>
    TooLarge,
    /// <summary>A malformed chunked body: 400.</summary>
    Malformed,
    /// <summary>Not received within the body deadline or at the minimum rate: 408.</summary>
    TimedOut,
    /// <summary>The peer closed inside the body, or the connection was aborted: nothing is sent.</summary>
    Ended,
    /// <summary>No inbound budget for it in time, or the server is shutting down: 503.</summary>
    NoBudget,
}
