namespace ExaiFast.Core.Tools;

/// <summary>
/// What one call has spent on models so far, and whose it is: the per-call budget counts it, the session's and the
/// day's budgets charge its session. One per call, shared by its model requests (a consensus asks several at once).
/// </summary>
public sealed class CallSpend(string sessionId)
{
    private long _tokens;

    /// <summary>The session the call belongs to.</summary>
    public string SessionId { get; } = sessionId;

    /// <summary>Tokens its model requests used so far (as reported, or estimated where a provider reported none).</summary>
    public long Tokens => Interlocked.Read(ref _tokens);

    /// <summary>Adds what a model request used.</summary>
    public void Add(long tokens) => Interlocked.Add(ref _tokens, tokens);
}
