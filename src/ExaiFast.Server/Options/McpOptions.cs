namespace ExaiFast.Server.Options;

/// <summary>Validated settings of MCP's Streamable HTTP sessions (<c>/mcp</c>).</summary>
internal sealed record McpOptions
{
    /// <summary>Most sessions at once (<c>EXAIFAST_MCP_MAX_SESSIONS</c>); when full, the least recently used idle one
    /// makes room, and only a table of busy sessions serves <c>initialize</c> statelessly.</summary>
    public int MaxSessions { get; init; } = 1_000;

    /// <summary>A session with no request for this long ends (<c>EXAIFAST_MCP_SESSION_IDLE_SECS</c>).</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Most tokens of a tool's answer an MCP client gets whole (<c>MAX_MCP_OUTPUT_TOKENS</c>), estimated at 4
    /// characters per token; a longer one is cut with a notice saying where the rest is. 0: never cut.</summary>
    public int MaxOutputTokens { get; init; } = 25_000;

    /// <summary>Longest <c>prompt</c> (or workflow <c>step</c>) an MCP call may carry, in characters
    /// (<c>MCP_PROMPT_SIZE_LIMIT</c>): a longer one is sent back with a request to pass it as a file. 0: no limit.</summary>
    public int PromptSizeLimit { get; init; } = 60_000;
}
