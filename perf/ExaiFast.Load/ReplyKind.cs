namespace ExaiFast.Load;

/// <summary>How a request ended. Refusals (OVER_CAPACITY) are answers, counted and timed apart from accepted calls.</summary>
internal enum ReplyKind
{
    Ok,
    Refused,
    Failed,
    Closed,
}
