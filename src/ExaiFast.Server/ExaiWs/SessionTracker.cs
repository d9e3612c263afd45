using ExaiFast.Core.Dispatch;

namespace ExaiFast.Server.ExaiWs;

/// <summary>Live connections per session, and the disconnect grace after which a session's orphaned calls are cancelled.</summary>
/// <remarks>Touched at hello and close only (never per frame); a lock keeps counts and the grace decision exact.</remarks>
internal sealed class SessionTracker(Dispatcher dispatcher, TimeSpan grace, TimeProvider time)
{
    private readonly Dictionary<string, int> _live = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _live.Count;
            }
        }
    }

    public void Joined(string sessionId)
    {
        lock (_gate)
        {
            _live[sessionId] = _live.GetValueOrDefault(sessionId) + 1;
        }
    }

    /// <summary>A connection of the session closed; if it was the last, its orphans are cancelled after the grace.</summary>
    public void Left(string sessionId)
    {
        lock (_gate)
        {
            if (_live.GetValueOrDefault(sessionId) > 1)
            {
                _live[sessionId]--;
                return;
            }

            _live.Remove(sessionId);
        }

        if (grace <= TimeSpan.Zero)
        {
            dispatcher.CancelOrphans(sessionId);
            return;
        }

        _ = CancelAfterGraceAsync(sessionId);
    }

    private async Task CancelAfterGraceAsync(string sessionId)
    {
        await Task.Delay(grace, time).ConfigureAwait(false);
        lock (_gate)
        {
            if (_live.ContainsKey(sessionId))
            {
                return; // a connection of the session came back: its calls stay (and re-attach on a repeated request id)
            }
        }

        dispatcher.CancelOrphans(sessionId);
    }
}
