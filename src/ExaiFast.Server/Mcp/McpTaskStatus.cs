namespace ExaiFast.Server.Mcp;

/// <summary>Where a task stands (the tasks extension's <c>status</c>; this daemon never asks its client for input).</summary>
internal enum McpTaskStatus
{
    /// <summary>Queued or running, here or on another daemon.</summary>
    Working,

    /// <summary>Ended with the tool's result — a tool error (<c>isError</c>) included.</summary>
    Completed,

    /// <summary>Cancelled before it ended.</summary>
    Cancelled,
}
