using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// The Streamable HTTP sessions (<c>Mcp-Session-Id</c>): issued at <c>initialize</c>, bounded in number, ended by
/// <c>DELETE</c> or after being idle for the idle timeout. Thread-safe.
/// </summary>
/// <remarks>
/// Full: expired sessions go first, then the least recently used one with no call in flight; only when every session
/// is busy is a new one refused. Most clients never send <c>DELETE</c>, so a table that only refused would fill up with
/// sessions nobody will use again.
/// </remarks>
internal sealed class McpHttpSessions : IAsyncDisposable
{
    /// <summary>What every HTTP session's id starts with (the client sees the rest as its <c>Mcp-Session-Id</c>).</summary>
    internal const string SessionPrefix = "mcp-http:";

    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);
    private readonly McpProtocol _protocol;
    private readonly TimeProvider _time;
    private readonly long _idleTicks;
    private readonly Lock _createLock = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _sweeper;

    /// <summary>Creates the table.</summary>
    /// <param name="protocol">Ends the sessions it drops.</param>
    /// <param name="maxSessions">Most sessions at once.</param>
    /// <param name="idleTimeout">A session with no request for this long ends.</param>
    /// <param name="time">Clock.</param>
    public McpHttpSessions(McpProtocol protocol, int maxSessions, TimeSpan idleTimeout, TimeProvider time)
    {
        _protocol = protocol;
        _time = time;
        MaxSessions = maxSessions;
        IdleTimeout = idleTimeout;
        _idleTicks = (long)(idleTimeout.TotalSeconds * time.TimestampFrequency);
        _timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(idleTimeout.TotalMilliseconds / 4, 10, 60_000)), time);
        _sweeper = SweepAsync();
    }

    /// <summary>Most sessions at once.</summary>
    public int MaxSessions { get; }

    /// <summary>How long an unused session lives.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>Live sessions.</summary>
    public int Count => _sessions.Count;

    /// <summary>A new session with a fresh id (128 random bits), or null when the table is full of busy sessions.</summary>
    public McpSession? TryCreate()
    {
        lock (_createLock)
        {
            if (_sessions.Count >= MaxSessions)
            {
                Sweep();
            }

            if (_sessions.Count >= MaxSessions && !TryEvictLeastRecentlyUsed())
            {
                return null;
            }

            string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var session = new McpSession(SessionPrefix + id, "http");
            _sessions[id] = new Entry(session, _time.GetTimestamp());
            return session;
        }
    }

    /// <summary>The session named by a client's <c>Mcp-Session-Id</c>; marks it used.</summary>
    public bool TryGet(string id, out McpSession session)
    {
        if (_sessions.TryGetValue(id, out var entry) && !entry.Session.HasEnded)
        {
            Volatile.Write(ref entry.LastUsed, _time.GetTimestamp());
            session = entry.Session;
            return true;
        }

        session = null!;
        return false;
    }

    /// <summary>The id to send back in <c>Mcp-Session-Id</c> (the session id without its prefix).</summary>
    public static string IdOf(McpSession session) => session.SessionId[SessionPrefix.Length..];

    /// <summary>Ends a session (<c>DELETE</c>); false if there is none with this id.</summary>
    public bool TryEnd(string id)
    {
        if (!_sessions.TryRemove(id, out var entry))
        {
            return false;
        }

        _protocol.EndSession(entry.Session);
        return true;
    }

    /// <summary>Ends every session (shutdown).</summary>
    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _sweeper.ConfigureAwait(false);
        foreach (string id in _sessions.Keys)
        {
            TryEnd(id);
        }
    }

    private async Task SweepAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
            {
                Sweep();
            }
        }
        catch (ObjectDisposedException)
        {
            // disposed: shutting down
        }
    }

    private void Sweep()
    {
        long now = _time.GetTimestamp();
        foreach (var (id, entry) in _sessions)
        {
            // A call in flight keeps its session: its response still has to find it (and a cancel posted for it).
            if (now - Volatile.Read(ref entry.LastUsed) > _idleTicks && entry.Session.PendingCount == 0)
            {
                TryEnd(id);
            }
        }
    }

    private bool TryEvictLeastRecentlyUsed()
    {
        string? oldest = null;
        long oldestUse = long.MaxValue;
        foreach (var (id, entry) in _sessions)
        {
            long used = Volatile.Read(ref entry.LastUsed);
            if (entry.Session.PendingCount == 0 && used < oldestUse)
            {
                oldest = id;
                oldestUse = used;
            }
        }

        return oldest is not null && TryEnd(oldest);
    }

    private sealed class Entry(McpSession session, long lastUsed)
    {
        public readonly McpSession Session = session;
        public long LastUsed = lastUsed;
    }
}
