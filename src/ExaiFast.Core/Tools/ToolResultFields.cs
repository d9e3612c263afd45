namespace ExaiFast.Core.Tools;

/// <summary>
/// What a tool's results may carry besides their status (an MCP <c>structuredContent</c>): what its <c>outputSchema</c>
/// declares, so that a tool lists only the fields it can return (each costs every client's context on every listing).
/// </summary>
[Flags]
public enum ToolResultFields
{
    /// <summary>Only the status (and, when it fails or is cut, <c>error_code</c> or <c>truncated</c>).</summary>
    None = 0,

    /// <summary><c>continuation_id</c>: the conversation the call was recorded in.</summary>
    Thread = 1,

    /// <summary><c>model</c>, <c>provider</c> and token <c>usage</c>: the model that answered.</summary>
    Model = 2,

    /// <summary><c>next_call</c>: the call a workflow step asks for next.</summary>
    NextCall = 4,
}
