using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>A <c>tools/call</c> in flight in one MCP session.</summary>
/// <remarks>A class, not a record: two requests are the same only if they are the same object (the id maps remove by it).</remarks>
public sealed class McpRequest
{
    // Progress a client can use, not a flood: at most one notification per interval (a tool reporting in a tight loop
    // would otherwise fill the transport and delay the response behind them).
    private static readonly long MinProgressTicks = System.Diagnostics.Stopwatch.Frequency / 20;

    private int _progress;
    private long _lastProgress;
    private int _state; // 0 running, 1 cancelled, 2 answered

    internal McpRequest(string rawId, string? progressToken, CallKey key, long sequence, IMcpReply reply)
    {
        RawId = rawId;
        ProgressToken = progressToken;
        Key = key;
        Sequence = sequence;
        Reply = reply;
    }

    /// <summary>The JSON-RPC id as it came (raw JSON: a string keeps its quotes), echoed in the response.</summary>
    public string RawId { get; }

    /// <summary>The client's <c>_meta.progressToken</c> as raw JSON, if it asked for progress.</summary>
    public string? ProgressToken { get; }

    /// <summary>The call's key: session id and a request id unique within the session (never reused, unlike JSON-RPC ids).</summary>
    public CallKey Key { get; }

    /// <summary>Its place among the session's requests, in the order they came.</summary>
    public long Sequence { get; }

    /// <summary>Where its progress and response go.</summary>
    public IMcpReply Reply { get; }

    /// <summary>Set by <c>notifications/cancelled</c> or the session's end: the call's end sends nothing.</summary>
    public bool Cancelled => Volatile.Read(ref _state) == 1;

    /// <summary>Marks the request cancelled unless it was answered; true if this call did it.</summary>
    internal bool TryCancel() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

    /// <summary>Claims the right to answer; false once cancelled or answered (exactly one final answer).</summary>
    internal bool TryAnswer() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

    /// <summary>The next value of <c>progress</c> (it must increase), or 0 when this notification should be skipped.</summary>
    internal int NextProgress(bool heartbeat)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        long last = Volatile.Read(ref _lastProgress);
        if (!heartbeat && last != 0 && now - last < MinProgressTicks)
        {
            return 0;
        }

        Volatile.Write(ref _lastProgress, now);
        return Interlocked.Increment(ref _progress);
    }
}
