namespace ExaiFast.Server.Http;

/// <summary>Serves the requests of one path of the endpoint table (<see cref="ServerContext.Endpoints"/>).</summary>
/// <remarks>
/// Called on the connection's reader task, one request at a time per connection, after the whole body has been read.
/// The endpoint answers exactly once, with <see cref="HttpExchange.RespondAsync"/> or
/// <see cref="HttpExchange.StartEventStreamAsync"/>; returning without answering gets the client a 500, throwing before
/// answering too (the exception is logged), throwing after an event stream started aborts the connection.
/// </remarks>
internal interface IHttpEndpoint
{
    /// <summary>Serves one request. The request's body is valid until the returned task completes.</summary>
    ValueTask HandleAsync(HttpExchange exchange);

    /// <summary>
    /// Looks at a request's head before its body is read (or <c>100 Continue</c> is sent): a refusal is answered at once
    /// and the connection closed, so that a client the endpoint would refuse anyway (no token, a foreign origin) cannot
    /// make the server read and buffer a body first. Null serves the request.
    /// </summary>
    HttpRefusal? Screen(Wire.Http.HttpRequestHead head) => null;

    /// <summary>
    /// <see cref="Screen"/> for an endpoint whose check may wait (an access token whose issuer's keys must be fetched
    /// first); what the server calls. By default, <see cref="Screen"/>.
    /// </summary>
    ValueTask<HttpRefusal?> ScreenAsync(Wire.Http.HttpRequestHead head) => ValueTask.FromResult(Screen(head));
}
