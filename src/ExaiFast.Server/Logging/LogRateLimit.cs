namespace ExaiFast.Server.Logging;

/// <summary>
/// At most <c>perMinute</c> entries of one kind a minute, and a count of those left out: for an error a client can
/// provoke with every message it sends (a bug a message reaches), which would otherwise let it flood the log.
/// </summary>
/// <remarks>Thread-safe. Cold path only (a lock per error).</remarks>
internal sealed class LogRateLimit(int perMinute)
{
    private const long WindowMs = 60_000;

    private readonly Lock _lock = new();
    private long _windowStart = -WindowMs; // the first entry opens a window (TickCount64 counts from 0)
    private int _logged;
    private long _suppressed;

    /// <summary>Whether to log this one; if so, <paramref name="suppressed"/> is how many were left out since the last.</summary>
    public bool TryEnter(out long suppressed) => TryEnter(Environment.TickCount64, out suppressed);

    internal bool TryEnter(long nowMs, out long suppressed)
    {
        lock (_lock)
        {
            if (nowMs - _windowStart >= WindowMs)
            {
                _windowStart = nowMs;
                _logged = 0;
            }

            if (_logged >= perMinute)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            _logged++;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
