namespace ExaiFast.Wire;

/// <summary>Why an upgrade request was refused: the HTTP status to reply with and a short reason for the body.</summary>
/// <param name="StatusCode">400, 403, 405 or 426.</param>
/// <param name="Reason">A short, fixed text (never echoes request bytes).</param>
public sealed record HandshakeRejection(int StatusCode, string Reason);
