namespace ExaiFast.Core.Tools;

/// <summary>A model request would pass a token budget, so it was not sent; becomes BUDGET_EXCEEDED.</summary>
/// <remarks>The message names the budget, what is left of it and when it resets.</remarks>
public sealed class BudgetExceededException(string message, double? retryAfterSeconds) : Exception(message)
{
    /// <summary>Seconds until the budget resets (null for the per-call budget, which never does).</summary>
    public double? RetryAfterSeconds { get; } = retryAfterSeconds;
}
