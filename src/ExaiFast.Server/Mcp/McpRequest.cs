using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>A <c>tools/call</c> in flight on one MCP connection.</summary>
/// <remarks>A class, not a record: two requests are the same only if they are the same object (the id maps remove by it).</remarks>
internal sealed class McpRequest(string rawId, string? progressToken, CallKey key, long sequence)
{
    private int _progress;
    private volatile bool _cancelled;

    /// <summary>The JSON-RPC id as it came (raw JSON: a string keeps its quotes), echoed in the response.</summary>
    public string RawId { get; } = rawId;

    /// <summary>The client's <c>_meta.progressToken</c> as raw JSON, if it asked for progress.</summary>
    public string? ProgressToken { get; } = progressToken;

    /// <summary>The dispatcher's key of the call.</summary>
    public CallKey Key { get; } = key;

    /// <summary>Its place among the connection's requests, in the order they came.</summary>
    public long Sequence { get; } = sequence;

    /// <summary>Set by <c>notifications/cancelled</c>: the call's end sends nothing.</summary>
    public bool Cancelled => _cancelled;

    public void Cancel() => _cancelled = true;

    /// <summary>The next value of <c>progress</c>: it must increase with every notification.</summary>
    public int NextProgress() => Interlocked.Increment(ref _progress);
}
