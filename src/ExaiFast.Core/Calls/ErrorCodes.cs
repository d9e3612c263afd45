namespace ExaiFast.Core.Calls;

/// <summary>The error codes of PROTOCOL.md, as sent in <c>error.code</c>.</summary>
public static class ErrorCodes
{
    /// <summary>The frame is not a valid request (bad JSON, missing op, unknown op, missing name).</summary>
    public const string InvalidRequest = "INVALID_REQUEST";
    /// <summary>The tool's arguments don't match its schema.</summary>
    public const string InvalidArguments = "INVALID_ARGUMENTS";
    /// <summary>The token was wrong.</summary>
    public const string Unauthorized = "UNAUTHORIZED";
    /// <summary>No tool of that name.</summary>
    public const string ToolNotFound = "TOOL_NOT_FOUND";
    /// <summary>A limit or queue is full; retry after <c>retry_after</c> seconds.</summary>
    public const string OverCapacity = "OVER_CAPACITY";
    /// <summary>The call's deadline passed.</summary>
    public const string Timeout = "TIMEOUT";
    /// <summary>The client cancelled the call (or vanished past the grace period).</summary>
    public const string Cancelled = "CANCELLED";
    /// <summary>The model provider answered with an error.</summary>
    public const string ProviderError = "PROVIDER_ERROR";
    /// <summary>The provider's circuit is open; retry after <c>retry_after</c> seconds.</summary>
    public const string ProviderUnavailable = "PROVIDER_UNAVAILABLE";
    /// <summary>A shared store the call needs (Redis, for conversation threads) cannot be reached; retry after
    /// <c>retry_after</c> seconds. An extension of PROTOCOL.md's list: calls that need no store never get it.</summary>
    public const string StoreUnavailable = "STORE_UNAVAILABLE";
    /// <summary>A token budget (per call, per session per day, per day, per provider per day) would be passed: the model
    /// request was not sent. The message names the budget, what is left and when it resets (<c>retry_after</c>). An
    /// extension of PROTOCOL.md's list.</summary>
    public const string BudgetExceeded = "BUDGET_EXCEEDED";
    /// <summary>No conversation thread of that id (never made, or expired): <c>read_thread</c>'s answer, an extension of
    /// PROTOCOL.md's list.</summary>
    public const string ThreadNotFound = "THREAD_NOT_FOUND";
    /// <summary>The message exceeded the size limit.</summary>
    public const string MessageTooLarge = "MESSAGE_TOO_LARGE";
    /// <summary>The daemon is draining.</summary>
    public const string ShuttingDown = "SHUTTING_DOWN";
    /// <summary>A bug: details are in the daemon's log, not in the reply.</summary>
    public const string InternalError = "INTERNAL_ERROR";
}
