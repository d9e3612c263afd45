namespace ExaiFast.Core.Calls;

/// <summary>What identifies a call for idempotency: the session and the client's request id.</summary>
public readonly record struct CallKey(string SessionId, string RequestId);
