namespace ExaiFast.Core.Calls;

/// <summary>The <c>error</c> object of a failed call or refused request.</summary>
/// <param name="Code">One of <see cref="ErrorCodes"/>.</param>
/// <param name="Message">A human-readable line; never contains secrets or internal exception text.</param>
/// <param name="RetryAfterSeconds">For OVER_CAPACITY and PROVIDER_UNAVAILABLE.</param>
public sealed record CallError(string Code, string Message, double? RetryAfterSeconds = null);
