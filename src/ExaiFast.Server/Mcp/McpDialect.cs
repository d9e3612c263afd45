namespace ExaiFast.Server.Mcp;

/// <summary>
/// How the answer to one request is written: which tool fields its revision knows (<see cref="Shape"/>), and whether it
/// is a modern (2026-07-28) request, whose results say <c>resultType</c>, carry the server's identity in <c>_meta</c>
/// and, when cacheable, <c>ttlMs</c> and <c>cacheScope</c>. A legacy answer is written exactly as before.
/// </summary>
/// <param name="Shape">The tool fields the revision knows.</param>
/// <param name="IsModern">A 2026-07-28 request (per-request <c>_meta</c>, no session).</param>
internal readonly record struct McpDialect(ToolShape Shape, bool IsModern)
{
    /// <summary>A modern request whose client declared the tasks extension: a <c>tools/call</c> may be answered with a
    /// task (<see cref="McpTasks"/>) instead of its result.</summary>
    public bool AcceptsTask { get; init; }

    /// <summary>A 2026-07-28 request: every tool field, and the modern result fields.</summary>
    public static McpDialect Modern { get; } = new(ToolShape.Structured, true);

    /// <summary>The dialect of a legacy session that agreed on <paramref name="revision"/> (null: none yet).</summary>
    public static McpDialect Legacy(string? revision) => new(ToolShapes.Of(revision), false);
}
