using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>A place in a lane's queue: a new call waiting to start, or a running call waiting to hop in.</summary>
/// <param name="Call">The call.</param>
/// <param name="Hop">For a running call hopping in from another lane, what hands it the slot; null for a new call.</param>
internal readonly record struct LaneEntry(ToolCall Call, LaneHopWaiter? Hop);
