namespace ExaiFast.Core.Calls;

/// <summary>One request waiting for an execution: its key and, while its connection is open, its listener.</summary>
/// <param name="Key">The request (session and request id) the execution answers.</param>
/// <param name="Listener">Where to deliver; null once the connection closed (the key still collects the result).</param>
internal readonly record struct Subscription(CallKey Key, ICallListener? Listener);
