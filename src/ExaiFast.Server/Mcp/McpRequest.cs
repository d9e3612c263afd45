using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>A <c>tools/call</c> in flight on one MCP connection.</summary>
/// <param name="RawId">The JSON-RPC id as it came (raw JSON: a string keeps its quotes), echoed in the response.</param>
/// <param name="ProgressToken">The client's <c>_meta.progressToken</c> as raw JSON, if it asked for progress.</param>
/// <param name="Key">The dispatcher's key of the call.</param>
internal sealed record McpRequest(string RawId, string? ProgressToken, CallKey Key)
{
    private int _progress;
    private volatile bool _cancelled;

    /// <summary>Set by <c>notifications/cancelled</c>: the call's end sends nothing.</summary>
    public bool Cancelled => _cancelled;

    public void Cancel() => _cancelled = true;

    /// <summary>The next value of <c>progress</c>: it must increase with every notification.</summary>
    public int NextProgress() => Interlocked.Increment(ref _progress);
}
