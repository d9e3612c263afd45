using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>One request waiting for an execution: its key and the ticket its answer goes to.</summary>
/// <param name="Key">The request (caller and request id) the execution answers.</param>
/// <param name="Ticket">Where the answer goes, and, while its door listens, the progress and chunks.</param>
internal readonly record struct Subscription(CallKey Key, CallTicket Ticket);
