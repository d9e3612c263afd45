using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Workflows;

/// <summary>What makes one workflow tool what it is: its name, words and own fields; the engine does the rest.</summary>
public sealed record WorkflowSpec
{
    /// <summary>The tool's name.</summary>
    public required string Name { get; init; }

    /// <summary>A human-readable name (MCP's <c>title</c>).</summary>
    public required string Title { get; init; }

    /// <summary>One paragraph for the client's model.</summary>
    public required string Description { get; init; }

    /// <summary>How the <c>step</c> field is described: what a step of this tool is.</summary>
    public required string StepDescription { get; init; }

    /// <summary>The system prompt of the final step's model call.</summary>
    public required string SystemPrompt { get; init; }

    /// <summary>What the client should do next while steps remain (shown in every in-progress answer).</summary>
    public required string Guidance { get; init; }

    /// <summary>The tool's own fields, beyond the shared workflow fields.</summary>
    public IReadOnlyList<ToolField> OwnFields { get; init; } = [];
}
