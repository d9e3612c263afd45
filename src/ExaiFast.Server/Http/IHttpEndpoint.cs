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
}
