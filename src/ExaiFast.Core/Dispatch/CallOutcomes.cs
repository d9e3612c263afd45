namespace ExaiFast.Core.Dispatch;

/// <summary>Calls ended since start, of every tool, by outcome (as <c>exaifast_calls_total</c> counts them).</summary>
/// <param name="Ok">Ended with an answer.</param>
/// <param name="Error">Failed otherwise.</param>
/// <param name="Timeout">Reached their deadline.</param>
/// <param name="Cancelled">Cancelled by the client, a disconnect or shutdown.</param>
/// <param name="Refused">Refused before they became a call.</param>
public readonly record struct CallOutcomes(long Ok, long Error, long Timeout, long Cancelled, long Refused);
