namespace ExaiFast.Core.Tools;

/// <summary>
/// What one call has spent on models so far, and whose it is: the per-call budget counts it, the caller's and the
/// day's budgets charge its caller. One per call, shared by its model requests (a consensus asks several at once).
/// </summary>
public sealed class CallSpend(string caller, ICallIdentity? call = null)
{
    private long _tokens;

    /// <summary>The caller the call belongs to (see <see cref="Calls.CallKey.Caller"/>).</summary>
    public string Caller { get; } = caller;

    /// <summary>The call itself, for the lines a provider logs about its requests; null outside a call.</summary>
    public ICallIdentity? Call { get; } = call;

    /// <summary>Tokens its model requests used so far (as reported, or estimated where a provider reported none).</summary>
    public long Tokens => Interlocked.Read(ref _tokens);

    /// <summary>Adds what a model request used.</summary>
    public void Add(long tokens) => Interlocked.Add(ref _tokens, tokens);
}
