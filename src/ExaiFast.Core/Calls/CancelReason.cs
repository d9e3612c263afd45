namespace ExaiFast.Core.Calls;

/// <summary>Why a call's token fired; the first reason recorded wins.</summary>
public enum CancelReason
{
    /// <summary>Not cancelled (or the deadline: a CancelAfter firing records no reason).</summary>
    None,
    /// <summary>The call's deadline passed.</summary>
    Timeout,
    /// <summary>The client sent <c>cancel</c>.</summary>
    Client,
    /// <summary>The client's connection ended and no connection of its session came back within the grace period.</summary>
    Disconnected,
    /// <summary>The daemon stopped before the call finished.</summary>
    Shutdown,
}
