namespace ExaiFast.Server.Http;

/// <summary>An endpoint's answer to a request head it will not serve, sent before any of the body is read.</summary>
/// <param name="Status">The status code.</param>
/// <param name="ContentType">The body's media type.</param>
/// <param name="Body">The body.</param>
/// <param name="ExtraHeaders">Further header lines, each ending in CRLF (e.g. <c>WWW-Authenticate</c>), or null.</param>
internal sealed record HttpRefusal(int Status, string ContentType, byte[] Body, string? ExtraHeaders = null);
