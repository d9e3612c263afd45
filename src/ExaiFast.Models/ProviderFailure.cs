namespace ExaiFast.Models;

/// <summary>How a provider call failed; a label of the provider error counter in /metrics.</summary>
public enum ProviderFailure
{
    /// <summary>HTTP 401 or 403: the key was refused.</summary>
    Unauthorized,

    /// <summary>HTTP 429 after the retries (or with a Retry-After past the call's deadline).</summary>
    RateLimited,

    /// <summary>HTTP 5xx after the retries.</summary>
    ServerError,

    /// <summary>Another HTTP status (400, 404, …).</summary>
    HttpStatus,

    /// <summary>No response headers within the headers deadline.</summary>
    HeadersTimeout,

    /// <summary>A stream fell silent for longer than the idle deadline.</summary>
    IdleTimeout,

    /// <summary>The provider's total deadline passed.</summary>
    TotalTimeout,

    /// <summary>No connection could be made.</summary>
    Connect,

    /// <summary>The connection broke (reset, closed) before the answer was complete.</summary>
    ConnectionLost,

    /// <summary>The stream ended without <c>[DONE]</c>.</summary>
    CutStream,

    /// <summary>The body was not the JSON (or SSE) of a chat completion, or reported an error.</summary>
    Malformed,

    /// <summary>Refused at once: the circuit breaker is open.</summary>
    CircuitOpen,
}
