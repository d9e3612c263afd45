namespace ExaiFast.Server.Mcp;

/// <summary>
/// The <c>outputSchema</c> every tool lists (2025-06-18 on) and the <c>structuredContent</c> its results carry: what a
/// client program needs without parsing the text, which stays the content the model reads.
/// </summary>
/// <remarks>
/// One schema for every tool: the fields are the daemon's, not a tool's (status, thread, model, usage), and one shape
/// lists at a fraction of a per-tool schema's size. <c>status</c> is <c>ok</c> or <c>error</c>, or a workflow's own
/// (<c>debug_in_progress</c>, <c>planning</c>, …); <c>next_call</c> is the call a workflow step asks for next;
/// <c>truncated</c> says the content was cut to <c>MAX_MCP_OUTPUT_TOKENS</c> (<see cref="OutputCut"/>); the
/// <c>omitted_characters</c> beside it is left undeclared (the schema allows more fields), to keep the listing small.
/// </remarks>
internal static class ToolOutputSchema
{
    public static ReadOnlySpan<byte> Json =>
        """{"type":"object","properties":{"status":{"type":"string"},"continuation_id":{"type":"string"},"model":{"type":"string"},"provider":{"type":"string"},"next_call":{"type":"object"},"usage":{"type":"object"},"error_code":{"type":"string"},"truncated":{"type":"boolean"}},"required":["status"]}"""u8;
}
