namespace ExaiFast.Server.OAuth;

/// <summary>Why a door refuses a request's credentials, in the words each door answers with.</summary>
/// <param name="Status">401 (no or a bad token), 403 (a good token without the scopes required) or 503 (the issuer's keys
/// cannot be had, so no token can be checked: the client's token may well be good, and must not be thrown away).</param>
/// <param name="Message">A short sentence for the response body; never a piece of the token.</param>
/// <param name="ExtraHeaders">Header lines, each ending in CRLF: the <c>WWW-Authenticate</c> challenge, or <c>Retry-After</c>.</param>
internal sealed record AccessRefusal(int Status, string Message, string ExtraHeaders);
