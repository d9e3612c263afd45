using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>The outcome of <see cref="Dispatcher.Submit"/>; never waits.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Call">The execution the listener is attached to (Accepted, Attached, Coalesced).</param>
/// <param name="Result">The stored result (Replayed) or the refusal (Refused).</param>
public readonly record struct SubmitResult(SubmitStatus Status, ToolCall? Call, CallResult? Result);
