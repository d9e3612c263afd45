namespace ExaiFast.Core.Dispatch;

/// <summary>The outcome of <see cref="Dispatcher.Cancel"/>.</summary>
/// <param name="Found">Whether a running or queued call had that key.</param>
/// <param name="WasRunning">Whether a worker was executing it (its provider request is aborted).</param>
public readonly record struct CancelResult(bool Found, bool WasRunning);
