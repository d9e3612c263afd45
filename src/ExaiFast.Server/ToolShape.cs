namespace ExaiFast.Server;

/// <summary>
/// Which of the tool fields added to MCP over time a client's revision knows, decided from the revision it negotiated:
/// a client is never sent a field its revision does not define.
/// </summary>
internal enum ToolShape
{
    /// <summary>2024-11-05: name, description, inputSchema; results as content.</summary>
    Plain,

    /// <summary>2025-03-26: plus <c>annotations</c> (title and behaviour hints).</summary>
    Annotated,

    /// <summary>2025-06-18 on: plus <c>title</c> and <c>outputSchema</c>, and results carry <c>structuredContent</c>.</summary>
    Structured,

    /// <summary>exai-ws, as it always listed: <see cref="Plain"/>'s fields, with the arguments only exai-ws uses
    /// (<see cref="Core.Tools.ITool.ExaiWsInputSchema"/>).</summary>
    ExaiWs,
}

/// <summary>The <see cref="ToolShape"/> of a revision.</summary>
internal static class ToolShapes
{
    // Revisions are dates, so they order as strings. A request with no revision at all (Streamable HTTP without
    // initialize or MCP-Protocol-Version) is 2025-03-26, as the transport spec tells a server to assume.
    public static ToolShape Of(string? revision) =>
        string.CompareOrdinal(revision ?? "2025-03-26", "2025-06-18") >= 0 ? ToolShape.Structured
        : string.CompareOrdinal(revision ?? "2025-03-26", "2025-03-26") >= 0 ? ToolShape.Annotated
        : ToolShape.Plain;
}
