namespace ExaiFast.Server.OAuth;

/// <summary>What checking one access token found (<see cref="OAuthResourceServer.CheckAsync"/>).</summary>
internal enum TokenCheck : byte
{
    /// <summary>Good: signed by the issuer, for this resource, in its lifetime, with the scopes required.</summary>
    Valid,
    /// <summary>Not a valid token for this resource (401 <c>invalid_token</c>).</summary>
    Invalid,
    /// <summary>Valid, but without every scope required (403 <c>insufficient_scope</c>).</summary>
    InsufficientScope,
    /// <summary>The issuer's signing keys could not be fetched, so nothing can be checked (503).</summary>
    KeysUnavailable,
}
