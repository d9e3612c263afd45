namespace ExaiFast.Core.Tools;

/// <summary>
/// When an MCP client that declared the tasks extension (<c>io.modelcontextprotocol/tasks</c>, server-directed) is
/// answered with a task handle instead of the tool's result.
/// </summary>
public enum TaskSupport
{
    /// <summary>A call still running after the daemon's window (two seconds) becomes a task; a quicker one is answered as it is.</summary>
    WhenLong,

    /// <summary>Every call becomes a task at once (unless it ended inside its submission, as a refusal does); a client
    /// without the extension is answered as it is.</summary>
    Always,

    /// <summary>As <see cref="Always"/>, and a client without the extension is refused (-32021): the tool has no other answer.</summary>
    Required,
}
