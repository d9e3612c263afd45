namespace ExaiFast.Server;

/// <summary>
/// Whether the daemon lists all its recent conversation threads to a caller, not only those the caller's own session
/// made: when it has a token (every door checks it, so a caller that got in proved it), or when it has none and listens
/// on loopback only (its callers are the local user, who can read its memory anyway). A daemon open to the network
/// without a token (<c>EXAIFAST_ALLOW_REMOTE_WITHOUT_TOKEN</c>) lists a session its own threads alone, and so does one in
/// OAuth mode: its callers are the issuer's many users, each of whom proved who they are, not that they are the operator.
/// </summary>
internal static class ThreadTrust
{
    /// <summary>The rule for a daemon with <paramref name="tokens"/> listening on a loopback address or not, in OAuth mode
    /// (<paramref name="oauth"/>) or not.</summary>
    public static Func<bool> Of(TokenGuard? tokens, bool loopbackOnly, bool oauth = false) => () => !oauth && (tokens?.Enabled == true || loopbackOnly);
}
