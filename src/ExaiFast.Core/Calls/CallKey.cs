namespace ExaiFast.Core.Calls;

/// <summary>
/// What identifies a call for idempotency: its caller (the exai-ws client session, or the MCP session) and the caller's
/// request id.
/// </summary>
public readonly record struct CallKey(string Caller, string RequestId);
